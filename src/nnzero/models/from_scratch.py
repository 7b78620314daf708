"""From a NumPy network to the registered PyTorch model with the same layers.

A scratch ``Sequential`` and a registered ``nn.Sequential`` match when their layers
agree one for one (Dropout, which has no weights, is skipped on both sides). Then
each weight moves across: ``Conv2d.W`` as it is, ``Linear.W`` transposed, since we
store (in, out) and PyTorch stores (out, in).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.models._registry import create_model, list_models, model_entry
from nnzero.scratch import activations as act
from nnzero.scratch import layers as lay
from nnzero.scratch.network import Sequential


def _same(ours, theirs: nn.Module) -> bool:
    """Does the PyTorch module compute what our layer computes?"""
    if isinstance(ours, lay.Linear) and isinstance(theirs, nn.Linear):
        return (theirs.in_features, theirs.out_features, theirs.bias is not None) == (
            ours.in_features,
            ours.out_features,
            ours.bias,
        )
    if isinstance(ours, lay.Conv2d) and isinstance(theirs, nn.Conv2d):
        k, s, p = ours.kernel_size, ours.stride, ours.padding
        return (
            (theirs.in_channels, theirs.out_channels, theirs.kernel_size, theirs.stride, theirs.padding)
            == (
                ours.in_channels,
                ours.out_channels,
                (k, k),
                (s, s),
                (p, p),
            )
            and (theirs.bias is not None) == ours.bias
            and theirs.groups == 1
            and theirs.dilation == (1, 1)
        )
    if isinstance(ours, lay.MaxPool2d) and isinstance(theirs, nn.MaxPool2d):
        as_pair = lambda v: tuple(v) if isinstance(v, tuple) else (v, v)  # noqa: E731
        return (as_pair(theirs.kernel_size), as_pair(theirs.stride), as_pair(theirs.padding)) == (
            (ours.kernel_size,) * 2,
            (ours.stride,) * 2,
            (0, 0),
        ) and not theirs.ceil_mode
    if isinstance(ours, act.LeakyReLU) and isinstance(theirs, nn.LeakyReLU):
        return theirs.negative_slope == ours.slope
    if isinstance(ours, lay.Flatten) and isinstance(theirs, nn.Flatten):
        return (theirs.start_dim, theirs.end_dim) == (1, -1)
    simple = {act.ReLU: nn.ReLU, act.Sigmoid: nn.Sigmoid, act.Tanh: nn.Tanh}
    return simple.get(type(ours)) is type(theirs)


def _leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [
        (n, m) for n, m in model.named_modules() if not list(m.children()) and not isinstance(m, nn.Dropout)
    ]


def _pairs(net: Sequential, model: nn.Module) -> list[tuple[int, str]] | None:
    """(our layer index, their module name) for every layer, or None when the two differ anywhere."""
    ours = [(i, layer) for i, layer in enumerate(net.layers) if not isinstance(layer, lay.Dropout)]
    theirs = _leaves(model)
    if len(ours) != len(theirs) or not all(_same(a, b) for (_, a), (_, b) in zip(ours, theirs, strict=True)):
        return None
    return [(i, name) for (i, _), (name, _) in zip(ours, theirs, strict=True)]


def model_kwargs(net: Sequential) -> dict:
    """The registry sizes of ``net``: classes from its last layer, channels and image size from its meta."""
    last = next(layer for layer in reversed(net.layers) if layer.params)
    spec = net.meta.get("input_spec", {})
    first = next(layer for layer in net.layers if layer.params)
    channels = first.in_channels if isinstance(first, lay.Conv2d) else spec.get("channels", 1)
    return {
        "num_classes": last.params["W"].shape[-1] if isinstance(last, lay.Linear) else last.out_channels,
        "in_channels": channels,
        "image_size": spec.get("size", 28),
    }


def to_torch(net: Sequential, name: str | None = None) -> tuple[str, nn.Module]:
    """The registered model (``name``, or the first whose layers match) holding ``net``'s weights, in eval mode."""
    kwargs = model_kwargs(net)
    task = "digits" if net.meta.get("input_spec", {}).get("kind", "digits") == "digits" else None
    for candidate in [name] if name else list_models(task):
        model_entry(candidate)  # an unknown --model name fails here, clearly
        model = create_model(candidate, **kwargs)
        pairs = _pairs(net, model)
        if pairs is None:
            continue
        state = {}
        for i, module_name in pairs:
            layer = net.layers[i]
            for key, torch_key in (("W", "weight"), ("b", "bias")):
                if key in layer.params:
                    value = (
                        layer.params[key].T
                        if isinstance(layer, lay.Linear) and key == "W"
                        else layer.params[key]
                    )
                    state[f"{module_name}.{torch_key}"] = torch.from_numpy(
                        np.ascontiguousarray(value, np.float32)
                    )
        model.load_state_dict(state, strict=True)  # every torch weight must come from ours, and the reverse
        return candidate, model.eval()
    raise NnzeroError(
        tr(
            "no registered PyTorch model has the layers of this network ({layers}); models tried: {names}",
            "没有与该网络各层一致的已注册 PyTorch 模型 ({layers}); 已尝试: {names}",
            layers=", ".join(repr(layer) for layer in net.layers),
            names=name or ", ".join(list_models()),
        )
    )
