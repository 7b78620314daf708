"""What every pretrained photo network shares: freezing and thawing, and loading ImageNet weights safely.

``resnet.py`` (torchvision's ResNets) and ``lite.py`` (EfficientNet-Lite0/1/2) build on it;
``pretrained.py`` names where a model's starting weights come from (part of the feature cache key).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from nnzero.errors import NnzeroError
from nnzero.i18n import tr


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


def start_from(model, pretrained: bool, weights: str | None, freeze_backbone: bool, download) -> nn.Module:
    if weights:
        load_backbone(model, read_weights(weights), str(weights))
    elif pretrained:
        load_backbone(model, download(), "ImageNet weights")
    if freeze_backbone:
        model.freeze_backbone()
    return model


## precision auto: bfloat16 where the CPU or GPU has it (features 1.7-2.1x faster on an AVX-512 BF16 Xeon,
## within a stated tolerance of float32's: docs/photos.md), float32 elsewhere
TRANSFER_DEFAULTS = {
    "optimizer": "adamw", "weight_decay": 1e-2, "batch_size": 32, "augment": True, "precision": "auto",
}  # fmt: skip
