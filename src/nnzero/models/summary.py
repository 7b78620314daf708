"""A layer-by-layer table of output shapes and parameter counts (like Keras' model.summary()).

``depth`` summarises by block, as torchinfo's ``depth`` does: a module ``depth`` names deep
(``_blocks.3`` is depth 2) is one row, its parameters those of everything inside it, so
EfficientNet-Lite0 reads as its stem, 16 blocks and head instead of ~150 layers.
"""

from __future__ import annotations

import torch
from torch import nn

from nnzero.i18n import tr
from nnzero.models._registry import count_parameters

BLOCK_DEPTH = 2  # what the report shows for a pretrained backbone (its full table folded away)


def _rows_at(model: nn.Module, depth: int | None) -> list[tuple[str, nn.Module]]:
    """The modules that make one row each: leaves, or (with ``depth``) modules that deep, and shallower leaves."""
    out = []
    for name, module in model.named_modules():
        if not name:
            continue
        level = name.count(".") + 1
        leaf = not list(module.children())
        if depth is None and leaf or depth is not None and (level == depth or level < depth and leaf):
            out.append((name, module))
    return out


def summarize(
    model: nn.Module, input_shape: tuple[int, ...], depth: int | None = None
) -> list[tuple[str, tuple[int, ...], int]]:
    """(layer name, output shape, parameters) for each leaf module (or block, with ``depth``), from one forward pass."""
    rows: list[tuple[str, tuple[int, ...], int]] = []
    hooks = []
    for name, module in _rows_at(model, depth):

        def record(mod, _inputs, output, name=name):
            params = sum(p.numel() for p in mod.parameters() if p.requires_grad)
            rows.append((f"{name} ({type(mod).__name__})", tuple(output.shape), params))

        hooks.append(module.register_forward_hook(record))
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    return rows


def format_summary(model: nn.Module, input_shape: tuple[int, ...], depth: int | None = None) -> str:
    rows = summarize(model, input_shape, depth)
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{tr('layer', '层'):<{width}}{tr('output shape', '输出形状'):<22}{tr('params', '参数'):>10}"]
    lines.append("-" * (width + 32))
    for name, shape, params in rows:
        lines.append(f"{name:<{width}}{str(tuple(shape)):<22}{params:>10,}")
    lines.append("-" * (width + 32))
    lines.append(
        tr(
            "The model has {n:,} trainable parameters",
            "模型共有 {n:,} 个可训练参数",
            n=count_parameters(model),
        )
    )
    return "\n".join(lines)
