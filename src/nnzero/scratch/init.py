"""Starting weights: He for ReLU networks, Xavier for sigmoid and tanh.

## Why not all zeros? Every neuron of a layer would then compute the same thing and
## get the same gradient, forever: random starting weights break the symmetry.
## Why this scale? If the weights are too large, activations grow layer after layer;
## too small, they shrink to nothing. Both schemes choose the variance so that a
## signal keeps roughly the same size as it passes through a layer.
"""

from __future__ import annotations

import numpy as np

INITS = ("he", "xavier", "zeros")


def he_normal(shape: tuple[int, ...], fan_in: int, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """Normal with variance 2 / fan_in (He 2015); ReLU zeroes half its inputs, the 2 makes up for it."""
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)  # shape


def xavier_uniform(
    shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32
) -> np.ndarray:
    """Uniform in +-sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio 2010): variance 2 / (fan_in + fan_out)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(dtype)  # shape


def initial_weights(
    kind: str,
    shape: tuple[int, ...],
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator | None,
    dtype=np.float32,
) -> np.ndarray:
    """Weights of ``shape`` drawn by the scheme named ``kind`` ("he", "xavier" or "zeros")."""
    rng = rng if rng is not None else np.random.default_rng()
    if kind == "he":
        return he_normal(shape, fan_in, rng, dtype)
    if kind == "xavier":
        return xavier_uniform(shape, fan_in, fan_out, rng, dtype)
    if kind == "zeros":
        ## Safe only for a network with one layer of weights (softmax regression): with
        ## no hidden units there is no symmetry to break.
        return np.zeros(shape, dtype)
    raise ValueError(f"unknown init {kind!r}; choose from {', '.join(INITS)}")
