"""The end of an epoch-loop run: what the best weights need to say "unknown" (``nnzero.unknown``).

    stored, record = known_pictures(model, tensors, train_cfg, test_features, test_logits)

The features the last layer sees for the validation pictures, as the best weights compute them
(training pictures too when there are fewer than ``MIN_KNOWN`` of those); the bank and the threshold
chosen on them (``stored`` goes into best.pt under "unknown"); ``record``: the same without the bank,
and the test pictures' coverage and the accuracy of those answered, for the run's metrics.

## Validation pictures, not training ones: the weights never learned from them, so they stand at the
## distance from the training data that a new picture will, and one forward pass over them is cheap
## (3,000 digits: ~0.3 s). For MNIST they did as well as 8,192 training pictures (benchmarks/unknown.py).
"""

from __future__ import annotations

import math

import torch

from nnzero.training.loop import predict_logits
from nnzero.unknown import fit_unknown
from nnzero.unknown.features import collecting_features

MIN_KNOWN = 1000  # fewer validation pictures than this: training pictures fill the bank up to it


def known_pictures(model, tensors: dict, cfg, test_features, test_logits, max_batches=None):
    """(best.pt's "unknown" entry or None, {"unknown": ...} for the metrics, or {})."""
    if not cfg.unknown_coverage or "train" not in tensors:
        return None, {}
    rows, have = [], 0
    for split in ("val", "train"):
        if split in tensors and len(tensors[split]) and (split == "val" or have < MIN_KNOWN):
            wanted = len(tensors[split]) if split == "val" else MIN_KNOWN - have
            batches = math.ceil(wanted / cfg.eval_batch_size)
            with collecting_features(model) as seen:
                predict_logits(
                    model, tensors[split], cfg.eval_batch_size, min(batches, max_batches or batches)
                )
            rows += seen
            have += sum(len(r) for r in seen)
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
