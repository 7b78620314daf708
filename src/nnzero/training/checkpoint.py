"""Checkpoints that carry what is needed to use them (after nanoGPT and timm).

One ``.pt`` file holds the weights and: the model's registered name and the sizes it
was built with, class names, how inputs are prepared (kind, channels, size, mean,
std), the metrics it reached, the run's config, and the nnzero version. Serving
rebuilds model and preprocessing from the file alone. Everything in it is a plain
type or a tensor, so it loads with ``torch.load(..., weights_only=True)``: loading a
checkpoint can never run code.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from nnzero import __version__
from nnzero.atomic import write_atomic
from nnzero.errors import CheckpointError
from nnzero.i18n import tr

FORMAT = "nnzero-checkpoint"
FORMAT_VERSION = 1
REQUIRED = ("model_name", "model_kwargs", "classes", "input_spec", "state_dict")


def plain_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """Weights on the CPU, without the ``module.`` prefix DDP adds or ``_orig_mod.`` that compile adds."""
    inner = getattr(model, "module", model)
    inner = getattr(inner, "_orig_mod", inner)
    return {k: v.detach().cpu().clone() for k, v in inner.state_dict().items()}


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    *,
    model_name: str,
    model_kwargs: dict,
    classes: list[str],
    input_spec: dict,
    metrics: dict | None = None,
    config: dict | None = None,
    dataset: str = "",
    train_state: dict | None = None,
    tta: dict | None = None,
    extra: dict | None = None,
) -> Path:
    """Write atomically (temp file, fsync, rename), so Ctrl-C or kill -9 never leaves half a checkpoint.

    ``extra``: more entries of plain types and tensors (e.g. "unknown": what says a picture is none of
    the classes, ``nnzero.unknown``); they cannot replace the entries above."""
    path = Path(path)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "nnzero_version": __version__,
        "model_name": model_name,
        "model_kwargs": dict(model_kwargs),
        "classes": [str(c) for c in classes],
        "input_spec": dict(input_spec),
        "metrics": dict(metrics or {}),
        "config": dict(config or {}),
        "dataset": dataset,
        "state_dict": plain_state_dict(model),
    }
    if train_state is not None:
        payload["train_state"] = train_state
    payload = dict(extra or {}) | payload
    if tta:  # test-time augmentation that predictions use (models/committee.py's tta_spec)
        payload["tta"] = dict(tta)
    return write_atomic(path, lambda f: torch.save(payload, f))


def load_checkpoint(path: str | Path) -> dict:
    """The checkpoint's dict, tensors on the CPU; CheckpointError for anything that is not one."""
    path = Path(path)
    if path.is_dir():
        for name in ("best.pt", "last.pt"):
            if (path / name).exists():
                path = path / name
                break
    if not path.exists():
        raise CheckpointError(tr("{path}: no such checkpoint", "{path}: 找不到该检查点", path=path))
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds: pickle, zip, unsupported global
        raise CheckpointError(
            tr(
                "{path} is not an nnzero checkpoint (it could not be read safely: {err})",
                "{path} 不是 nnzero 检查点 (无法安全读取: {err})",
                path=path,
                err=str(e).splitlines()[0][:200],
            )
        ) from e
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            tr(
                "{path} is a PyTorch file but not an nnzero checkpoint (a bare state_dict?); "
                "train with `nnzero train` to get one",
                "{path} 是 PyTorch 文件但不是 nnzero 检查点 (也许只是 state_dict?); "
                "请用 `nnzero train` 训练得到",
                path=path,
            )
        )
    missing = [k for k in REQUIRED if k not in payload]
    if missing:
        raise CheckpointError(f"{path}: checkpoint lacks {', '.join(missing)}")
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(
            tr(
                "{path} was written by a newer nnzero ({v}); upgrade nnzero",
                "{path} 由更新版本的 nnzero ({v}) 写入; 请升级 nnzero",
                path=path,
                v=payload.get("nnzero_version"),
            )
        )
    payload["path"] = str(path)
    return payload


def model_from_checkpoint(ckpt: dict, device: torch.device | str = "cpu") -> nn.Module:
    """Rebuild the registered model and load its weights; in eval mode, wrapped in the checkpoint's
    test-time augmentation (``ckpt["tta"]``) when it has one."""
    from nnzero.models import create_model
    from nnzero.models.committee import with_tta

    model = create_model(ckpt["model_name"], **ckpt["model_kwargs"])
    try:
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError as e:
        raise CheckpointError(
            f"{ckpt.get('path', 'checkpoint')}: weights do not fit model "
            f"{ckpt['model_name']} ({str(e).splitlines()[0]})"
        ) from e
    return with_tta(model.to(device).eval(), ckpt.get("tta"))
