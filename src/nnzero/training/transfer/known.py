"""What a photo model learns about its own photos besides their classes: when to say "unknown",
and which ImageNet classes the photos look like to the pretrained backbone.

    stored, metrics = known_photos(model, model_name, views, y, classes, test_logits, acts, tuned)

``stored`` goes into the checkpoint under "unknown" (``nnzero.unknown``: a bank of the training and
validation photos' features and the threshold chosen on them); ``metrics`` records its test coverage
and, for the EfficientNet-Lites, the ImageNet classes (``models/imagenet.py``) for the report.
"""

from __future__ import annotations

import numpy as np

from nnzero.models.imagenet import has_imagenet_head, imagenet_head, looks_like
from nnzero.training.transfer.fine_tune import features_from
from nnzero.unknown import fit_unknown


def known_photos(model, model_name: str, views: dict, y: dict, classes, test_logits, acts, tuned, coverage):
    """(the checkpoint's "unknown" entry or None, {"unknown": ..., "imagenet": ...} for its metrics)."""
    stored, metrics = None, {}
    if coverage:
        known, test = _photo_features(model, views, acts, tuned)
        unknown = fit_unknown(known, coverage)
        record = unknown.describe()
        if len(test):
            answered = ~unknown.flags(test)
            right = np.asarray(test_logits).argmax(1) == y["test"]
            record["test_coverage"] = round(float(answered.mean()), 4)
            record["test_accuracy_answered"] = (
                round(float(right[answered].mean()), 4) if answered.any() else None
            )
        stored, metrics = unknown.to_dict(), {"unknown": record}
    if has_imagenet_head(model_name) and len(views["train"][0]):
        ## the cached features are the pretrained backbone's, fine-tuned or not: what ImageNet's classifier reads
        probs = imagenet_head(model_name).probabilities(views["train"][0])
        metrics["imagenet"] = looks_like(probs, y["train"], list(classes))
    return stored, metrics


def _photo_features(model, views: dict, acts, tuned: bool) -> tuple[np.ndarray, np.ndarray]:
    """(training + validation photos' features, test photos' features), of the network as it is saved."""
    n_known, n_test = len(views["train"][0]) + len(views["val"][0]), len(views["test"][0])
    if not tuned:
        return np.concatenate([views["train"][0], views["val"][0]]), views["test"][0]
    ## fine-tuned: the last blocks changed, so the features come from them (on the cached activations)
    rows = features_from(model, acts, np.arange(n_known + n_test))["photo"]
    return rows[:n_known], rows[n_known:]
