"""Finite differences: check a backward pass with nothing but the forward pass.

## The derivative is the slope: (f(x + h) - f(x - h)) / 2h for a small h. It costs
## two forward passes per number checked, far too slow to train with, but it needs
## no calculus, so it is the independent witness for every backward we wrote.
## Work in float64: in float32 the rounding error of f swamps the difference.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnzero.scratch._base import Layer
from nnzero.scratch.losses import Loss
from nnzero.scratch.network import Sequential


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences, changing ``x`` in place one value at a time (and putting it back)."""
    grad = np.zeros_like(x)  # (same as x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f()
        x[i] = old - h
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a|, |b|, 1e-12): scale-free, so one threshold fits every layer."""
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12))


def check_layer(layer: Layer, x: np.ndarray, seed: int = 0, h: float = 1e-6) -> dict[str, float]:
    """Relative error of dx and of every parameter gradient, for L = sum(layer(x) * R) with a random R."""
    if x.dtype != np.float64:
        raise ValueError("check in float64: float32 rounding hides the difference")
    out = layer.forward(x)
    weights = np.random.default_rng(seed).standard_normal(out.shape)  # (same as out): dL/dout
    for grad in layer.grads.values():
        grad.fill(0)
    dx = layer.backward(weights)

    def loss() -> float:
        return float(np.sum(layer.forward(x) * weights))

    errors = {"x": relative_error(dx, numerical_gradient(loss, x, h))}
    for key, param in layer.params.items():
        errors[key] = relative_error(layer.grads[key], numerical_gradient(loss, param, h))
    return errors


def check_network(
    net: Sequential, loss_fn: Loss, x: np.ndarray, targets: np.ndarray, h: float = 1e-6
) -> dict[str, float]:
    """Relative error of every parameter gradient of ``loss_fn(net(x), targets)``."""
    net.zero_grad()
    loss_fn.forward(net.forward(x), targets)
    net.backward(loss_fn.backward())

    def loss() -> float:
        return loss_fn.forward(net.forward(x), targets)

    return {
        name: relative_error(grad, numerical_gradient(loss, param, h))
        for name, param, grad in net.named_parameters()
    }
