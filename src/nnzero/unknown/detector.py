"""``Unknown``: the nearest-neighbour score, its threshold and its bank, as a checkpoint carries them.

    unknown = fit_unknown(features, coverage=0.95)     # (N, D) features of the known pictures
    ckpt["unknown"] = unknown.to_dict()                 # plain types and tensors
    Unknown.from_dict(ckpt["unknown"]).flags(x)         # (N,) bool

The threshold is chosen on known pictures scored exactly as a new picture will be, against a
bank that does not hold them: each bank picture against the others (leave-one-out), or, when
there are more pictures than the bank keeps, the pictures left out of it. Nothing else chooses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from nnzero.unknown.nearest import knn_similarity, threshold_at, unit_rows

COVERAGE = 0.95  # the share of known pictures still answered: the threshold is chosen for it
K = 3  # the k-th nearest known picture (benchmarks/unknown.py: 3 and 5 tie on the photos, 1 is worse)
MAX_BANK = 4096  # pictures kept; more are sampled (seeded), the others calibrate the threshold
METHOD = "knn-cosine"


@dataclass
class Unknown:
    bank: torch.Tensor  # (M, D) float16, rows of length 1: the known pictures' features
    k: int
    threshold: float  # unknown when the score is below it
    coverage: float  # the target it was chosen for
    calibration: int  # how many known pictures chose it
    chosen_on: str  # which pictures: "leave-one-out" or "left out of the bank"

    def __post_init__(self):
        self._bank32 = self.bank.float()  # converted once, not at every prediction

    def scores(self, features) -> np.ndarray:
        """(N,) the k-th nearest cosine similarity of each row of ``features`` (N, D) to the bank."""
        return knn_similarity(unit_rows(features), self._bank32, self.k).numpy()

    def flags(self, features) -> np.ndarray:
        """(N,) True where the picture is none of the known classes."""
        return self.scores(features) < self.threshold

    def to_dict(self) -> dict:
        """What the checkpoint stores under "unknown": plain types and one tensor."""
        return {
            "method": METHOD,
            "k": self.k,
            "threshold": self.threshold,
            "coverage": self.coverage,
            "calibration": self.calibration,
            "chosen_on": self.chosen_on,
            "bank": self.bank,
        }

    @classmethod
    def from_dict(cls, d: dict | None) -> Unknown | None:
        if not d or d.get("method") != METHOD:
            return None  # an older or unknown kind of score: the checkpoint answers as before
        return cls(
            d["bank"], int(d["k"]), float(d["threshold"]), float(d["coverage"]),
            int(d.get("calibration", 0)), str(d.get("chosen_on", "")),
        )  # fmt: skip

    def describe(self) -> dict:
        """The settings without the bank, for metrics and ``--json``."""
        return {k: v for k, v in self.to_dict().items() if k != "bank"} | {"bank_rows": len(self.bank)}


def fit_unknown(
    features, coverage: float = COVERAGE, k: int = K, max_bank: int = MAX_BANK, seed: int = 0
) -> Unknown:
    """The bank of known pictures' features (N, D) and the threshold that answers ``coverage`` of them."""
    x = unit_rows(features)  # (N, D)
    ## the float16 bank a new picture will meet also scores the calibration (rounding moves scores ~1e-3)
    if len(x) <= max_bank:
        bank = x.half()
        scores = knn_similarity(x, bank, k, exclude=torch.arange(len(x)))  # each against the others
        chosen_on = "leave-one-out"
    else:
        order = np.random.default_rng(seed).permutation(len(x))
        bank = x[order[:max_bank]].half()
        scores = knn_similarity(x[order[max_bank : 2 * max_bank]], bank, k)
        chosen_on = "left out of the bank"
    k_used = max(1, min(k, len(bank) - 1))
    return Unknown(bank, k_used, threshold_at(scores.numpy(), coverage), coverage, len(scores), chosen_on)
