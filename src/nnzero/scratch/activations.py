"""Activations: the bends between linear layers, ReLU, LeakyReLU, Sigmoid and Tanh.

## Without them, a stack of Linear layers collapses into one Linear layer (a product
## of matrices is a matrix). Each activation is applied element by element, so its
## backward multiplies dout by its own derivative at the same position.
"""

from __future__ import annotations

import numpy as np

from nnzero.scratch._base import Layer


class Activation(Layer):
    """An element-wise function: any shape in, the same shape out."""

    def forward(self, x):
        self._check(x, "(N, ...)", lambda x: x.ndim >= 1)
        return self._forward(x)

    def backward(self, dout, need_dx=True):
        self._check_dout(dout, self.shape)
        return self._backward(dout)


class ReLU(Activation):
    """max(0, x): passes positive values, blocks negative ones."""

    def _forward(self, x):
        self.positive = x > 0  # (same as x) bool: a byte per value is all backward needs
        self.shape = x.shape
        return np.maximum(x, 0)

    def _backward(self, dout):
        ## The slope is 1 where x > 0 and 0 elsewhere (we take 0 at x = 0, as PyTorch does).
        return np.multiply(dout, self.positive, dtype=dout.dtype)


class LeakyReLU(Activation):
    """x where x > 0, slope * x elsewhere: negative inputs keep a small gradient."""

    def __init__(self, slope: float = 0.01):
        super().__init__()
        self.slope = slope

    def config(self) -> dict:
        return {"slope": self.slope}

    def _forward(self, x):
        self.positive = x > 0  # (same as x) bool
        self.shape = x.shape
        return np.where(self.positive, x, x * x.dtype.type(self.slope))

    def _backward(self, dout):
        return np.where(self.positive, dout, dout * dout.dtype.type(self.slope))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x), written as e^-log(1 + e^-x): ``logaddexp`` computes log(1 + e^-x) without overflow."""
    return np.exp(-np.logaddexp(0, -x))  # (same as x)


class Sigmoid(Activation):
    """1 / (1 + e^-x): squashes any number into (0, 1), read as a probability."""

    def _forward(self, x):
        self.out = sigmoid(x)  # (same as x); the derivative is written with the output
        self.shape = x.shape
        return self.out

    def _backward(self, dout):
        ## d sigmoid / dx = s (1 - s): largest (1/4) at x = 0, tiny for large |x|.
        return dout * self.out * (1 - self.out)


class Tanh(Activation):
    """(e^x - e^-x) / (e^x + e^-x): like sigmoid but centred, into (-1, 1)."""

    def _forward(self, x):
        self.out = np.tanh(x)  # (same as x)
        self.shape = x.shape
        return self.out

    def _backward(self, dout):
        return dout * (1 - self.out * self.out)
