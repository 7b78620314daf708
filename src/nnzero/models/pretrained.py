"""The name of a pretrained model's starting weights (``lite.py`` for the EfficientNets, torchvision for the ResNets)."""

from __future__ import annotations

from pathlib import Path


def weights_source(model_name: str, weights: str | None = None) -> str:
    """Where a pretrained model's starting weights come from, as text that names them uniquely
    (a file path with its size, or a URL with torchvision's hash in it): part of the feature cache key."""
    if weights:
        p = Path(weights)
        return f"file:{p.resolve()}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
    if model_name.startswith("efficientnet_lite"):
        from nnzero.models.lite import lite_weights_file

        p = lite_weights_file(model_name.removeprefix("efficientnet_"))
        return f"package:{p.name}:{p.stat().st_size}"
    from torchvision.models import get_model_weights

    return "download:" + get_model_weights(model_name).IMAGENET1K_V1.url
