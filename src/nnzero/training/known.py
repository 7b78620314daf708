"""The end of an epoch-loop run: what the best weights need to say "unknown" (``nnzero.unknown``).

    stored, record = known_pictures(model, tensors, train_cfg, test_features, test_logits)

The features the last layer sees for the training pictures (at most 2 x the bank's size) and all
validation pictures, as the best weights compute them; the bank and the threshold chosen on them
(``stored`` goes into best.pt under "unknown"); ``record``: the same without the bank, and the test
pictures' coverage and the accuracy of those answered, for the run's metrics.
"""

from __future__ import annotations

import math

import torch

from nnzero.training.loop import predict_logits
from nnzero.unknown import fit_unknown
from nnzero.unknown.detector import MAX_BANK
from nnzero.unknown.features import collecting_features


def known_pictures(model, tensors: dict, cfg, test_features, test_logits, max_batches=None):
    """(best.pt's "unknown" entry or None, {"unknown": ...} for the metrics, or {})."""
    if not cfg.unknown_coverage or "train" not in tensors:
        return None, {}
    rows = []
    for split in ("train", "val"):
        if split in tensors and len(tensors[split]):
            cap = math.ceil(2 * MAX_BANK / cfg.eval_batch_size) if split == "train" else None
            batches = cap if max_batches is None else min(cap or max_batches, max_batches)
            with collecting_features(model) as seen:
                predict_logits(model, tensors[split], cfg.eval_batch_size, batches)
            rows += seen
    unknown = fit_unknown(torch.cat(rows).cpu(), cfg.unknown_coverage)
    record = unknown.describe()
    if test_features and test_logits is not None:
        answered = torch.from_numpy(~unknown.flags(torch.cat(test_features).cpu()))
        right = test_logits.argmax(1).cpu() == tensors["test"].labels[: len(test_logits)].cpu()
        record["test_coverage"] = round(float(answered.float().mean()), 4)
        record["test_accuracy_answered"] = (
            round(float(right[answered].float().mean()), 4) if answered.any() else None
        )
    return unknown.to_dict(), {"unknown": record}
