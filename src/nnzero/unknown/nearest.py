"""The score: cosine similarity to the k-th nearest known picture, and the threshold at a coverage.

    bank = unit_rows(train_features)                 # (M, D): each known picture's features, length 1
    s = knn_similarity(unit_rows(x), bank, k=3)      # (N,) higher: more like the known pictures
    t = threshold_at(calibration_scores, 0.95)       # 95% of known pictures score at least t

## The formula, for anyone who re-implements it (an ONNX export, a web page):
##     s(x) = the k-th largest of  <x / |x|, b_i>  over the bank's rows b_i (already of length 1)
##     unknown(x) = s(x) < threshold
## Why the k-th and not the nearest: one stray training picture near a strange input (a cat
## photographed in a garden among the flowers) should not vouch for it alone; k = 3 asks three.
"""

from __future__ import annotations

import math

import numpy as np
import torch

CHUNK = 1024  # rows of x per matrix product: bounds memory for large banks


def unit_rows(x) -> torch.Tensor:
    """Each row divided by its length (float32); an all-zero row stays zero (similarity 0 to everything)."""
    x = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).float()
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)


def knn_similarity(x: torch.Tensor, bank: torch.Tensor, k: int, exclude: torch.Tensor | None = None):
    """The k-th largest cosine similarity of each unit row of ``x`` (N, D) to the unit rows of ``bank``
    (M, D): (N,) float32. ``exclude[i]``: a bank row that row i may not use (itself, leave-one-out)."""
    bank = bank.float()
    k = max(1, min(k, len(bank) - (exclude is not None)))
    out = []
    for i in range(0, len(x), CHUNK):
        sims = x[i : i + CHUNK].float() @ bank.T  # (n, M)
        if exclude is not None:
            rows = torch.arange(len(sims))
            sims[rows, exclude[i : i + CHUNK]] = -2.0  # below any cosine
        out.append(sims.topk(k, dim=1).values[:, -1])
    return torch.cat(out) if out else torch.zeros(0)


def threshold_at(scores, coverage: float) -> float:
    """The threshold that answers at least ``coverage`` of pictures like ``scores`` (n calibration scores).

    ## Split-conformal rule: with n known pictures scored as a new one would be, the
    ## floor((n + 1)(1 - coverage))-th lowest score leaves at most that many below it; a new known
    ## picture then falls below with probability at most 1 - coverage (Vovk et al. 2005). With
    ## fewer than 1 / (1 - coverage) - 1 pictures (19 for 95%) that rule would answer everything;
    ## then the lowest score is the threshold (coverage n / (n + 1): 10 pictures, 91%).
    """
    s = np.sort(np.asarray(scores, np.float64))
    if not len(s):
        return -math.inf
    below = max(1, math.floor((len(s) + 1) * (1 - coverage)))
    return float(s[below - 1])
