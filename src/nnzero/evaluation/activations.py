"""What a trained network computes for one image, layer by layer (forward hooks).

``capture(predictor, image)`` runs one prepared image (uint8 (C, H, W)) through the
checkpoint's model and keeps: the output of every conv layer (after the batch norm and
ReLU that follow it), the output of every dense layer, the first conv layer's filters
(or, for an MLP, the first dense layer's weights as pictures) and the probabilities.
``inspect.py`` draws it; ``describe`` says what was kept, as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from torch import nn

# modules that change values one by one: a conv layer's picture is taken after them
_ELEMENTWISE = (nn.BatchNorm1d, nn.BatchNorm2d, nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.GELU, nn.SiLU)


@dataclass
class LayerOutput:
    name: str  # "3 Conv2d+ReLU": the module's name in the model, its type, what follows it
    kind: str  # "conv" or "dense"
    values: np.ndarray  # conv: (C, H, W); dense: (units,)


@dataclass
class Inspection:
    model_name: str
    classes: list[str]
    image: np.ndarray  # uint8 (C, H, W): exactly what the network saw
    probs: np.ndarray  # (classes,)
    layers: list[LayerOutput] = field(default_factory=list)
    filters: np.ndarray | None = None  # first conv weights (out, in, k, k)
    filters_layer: str = ""
    weight_maps: np.ndarray | None = None  # MLP: first dense weights as images (units, C, H, W)
    weight_maps_layer: str = ""
    weight_maps_units: list[int] = field(default_factory=list)  # which units, most active first

    @property
    def conv_layers(self) -> list[LayerOutput]:
        return [layer for layer in self.layers if layer.kind == "conv"]

    @property
    def dense_layers(self) -> list[LayerOutput]:
        return [layer for layer in self.layers if layer.kind == "dense"]


def _taps(model: nn.Module) -> list[tuple[str, nn.Module, str]]:
    """(label, module whose output to keep, kind) for each Conv2d and Linear, in order."""
    taps = []
    for parent_name, parent in model.named_modules():
        children = list(parent.named_children())
        for i, (name, module) in enumerate(children):
            if not isinstance(module, nn.Conv2d | nn.Linear):
                continue
            tap, after, j = module, [], i + 1
            # only a Sequential runs its children in the order they are listed
            while isinstance(parent, nn.Sequential) and j < len(children):
                if not isinstance(children[j][1], _ELEMENTWISE):
                    break
                tap = children[j][1]
                after.append(type(tap).__name__)
                j += 1
            full = f"{parent_name}.{name}" if parent_name else name
            label = f"{full} {type(module).__name__}" + "".join(f"+{a}" for a in after)
            taps.append((label, tap, "conv" if isinstance(module, nn.Conv2d) else "dense"))
    return taps


def capture(predictor, image: np.ndarray, max_maps: int = 32) -> Inspection:
    """Run one prepared image through ``predictor.model`` and keep what every layer made of it.

    A committee shows its first member's layers (and the whole committee's probabilities); with
    test-time shifts, the layers of the unshifted image."""
    from nnzero.models.committee import networks

    model: nn.Module = networks(predictor.model)[0]
    kept: dict[int, np.ndarray] = {}
    hooks = []
    taps = _taps(model)
    for index, (_label, module, _kind) in enumerate(taps):

        def keep(_mod, _inp, out, index=index):
            # clone: an in-place ReLU later on would change the tensor under us
            kept.setdefault(index, out.detach()[0].float().cpu().clone().numpy())

        hooks.append(module.register_forward_hook(keep))
    try:
        probs = predictor.probabilities(image[None])[0]  # (classes,)
    finally:
        for h in hooks:
            h.remove()
    layers = [LayerOutput(label, kind, kept[i]) for i, (label, _m, kind) in enumerate(taps) if i in kept]
    result = Inspection(predictor.checkpoint["model_name"], list(predictor.classes), image, probs, layers)
    _first_layer(model, result, max_maps)
    return result


def _first_layer(model: nn.Module, result: Inspection, max_maps: int) -> None:
    """The first conv layer's filters, or (no conv at all) the first dense layer's weights as images."""
    named = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    convs = [(n, m) for n, m in named if isinstance(m, nn.Conv2d)]
    if convs:
        name, conv = convs[0]
        result.filters = conv.weight.detach().float().cpu().numpy()  # (out, in, k, k)
        result.filters_layer = f"{name} Conv2d"
        return
    if not named:
        return
    name, dense = named[0]
    c, h, w = result.image.shape
    if dense.in_features != c * h * w:
        return
    ## Each unit of the first dense layer has one weight per pixel: drawn as an image, it
    ## shows which pixels push that unit up (positive) and which push it down.
    weights = dense.weight.detach().float().cpu().numpy().reshape(-1, c, h, w)  # (units, C, H, W)
    activity = result.dense_layers[0].values
    units = np.argsort(-activity, kind="stable")[:max_maps]  # the units this image excited most
    result.weight_maps = weights[units]
    result.weight_maps_units = [int(u) for u in units]
    result.weight_maps_layer = f"{name} Linear"


def describe(result: Inspection, max_channels: int) -> dict:
    """What the sheet shows, as plain JSON: layer names, shapes, channels drawn, probabilities."""
    top = int(np.argmax(result.probs))
    out = {
        "model": result.model_name,
        "input_shape": list(result.image.shape),
        "prediction": {"label": result.classes[top], "prob": round(float(result.probs[top]), 6)},
        "probabilities": {c: round(float(p), 6) for c, p in zip(result.classes, result.probs)},
        "conv_layers": [
            {
                "name": layer.name,
                "shape": list(layer.values.shape),
                "shown": shown_channels(layer, max_channels),
            }
            for layer in result.conv_layers
        ],
        "dense_layers": [
            {"name": layer.name, "units": int(layer.values.size)} for layer in result.dense_layers
        ],
    }
    if result.filters is not None:
        out["filters"] = {
            "layer": result.filters_layer,
            "shape": list(result.filters.shape),
            "colour": result.filters.shape[1] == 3,
        }
    if result.weight_maps is not None:
        out["first_layer_weights"] = {
            "layer": result.weight_maps_layer,
            "map_shape": list(result.weight_maps.shape[1:]),
            "units": result.weight_maps_units,
        }
    return out


def shown_channels(layer: LayerOutput, max_channels: int) -> list[int]:
    """The channels drawn for a conv layer: the most active ones first, at most ``max_channels``."""
    strength = layer.values.reshape(len(layer.values), -1).mean(1)  # (C,)
    return [int(c) for c in np.argsort(-strength, kind="stable")[:max_channels]]
