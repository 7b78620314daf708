"""Optimizers, simplest first: SGD, then Momentum, RMSprop and Adam (after tinygrad's ``optim.py``).

Each takes the (param, grad) pairs of ``Sequential.parameters()`` and, on ``step()``,
changes every param in place using its grad. The formulas are PyTorch's, so the
tests can compare the two step by step.

## Weight decay adds ``weight_decay * param`` to each gradient: the gradient of
## (weight_decay / 2) * sum(param^2), a pull of every weight towards zero.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class Optimizer:
    def __init__(self, params: Iterable[tuple[np.ndarray, np.ndarray]], lr: float, weight_decay: float = 0.0):
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got no parameters: the network has no Linear or Conv2d layer")
        self.lr, self.weight_decay = lr, weight_decay
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        for i, (param, grad) in enumerate(self.params):
            if self.weight_decay:
                grad = grad + self.weight_decay * param  # (same as param)
            self._update(i, param, grad)

    def zero_grad(self) -> None:
        """Layers add into their grads (so one backward can follow another); clear them before each batch."""
        for _, grad in self.params:
            grad.fill(0)

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> None:
        raise NotImplementedError

    def _zeros(self) -> list[np.ndarray]:
        """One zero buffer per parameter, for state that persists between steps."""
        return [np.zeros_like(p) for p, _ in self.params]


class SGD(Optimizer):
    """Stochastic gradient descent: a small step downhill, param -= lr * grad."""

    def _update(self, i, param, grad):
        param -= self.lr * grad


class Momentum(Optimizer):
    """SGD with a velocity: v = momentum * v + grad; param -= lr * v.

    ## Like a ball rolling downhill: steps that keep pointing the same way add up,
    ## steps that zigzag cancel out.
    """

    def __init__(self, params, lr: float, momentum: float = 0.9, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = momentum
        self.velocity = self._zeros()

    def _update(self, i, param, grad):
        v = self.velocity[i]
        v *= self.momentum
        v += grad
        param -= self.lr * v


class RMSprop(Optimizer):
    """Divide each step by a running root-mean-square of that weight's gradients.

    ## Weights whose gradients are large get smaller steps, and the reverse, so every
    ## weight moves at a similar pace whatever the scale of its gradient.
    """

    def __init__(
        self, params, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0
    ):
        super().__init__(params, lr, weight_decay)
        self.alpha, self.eps = alpha, eps
        self.square_avg = self._zeros()

    def _update(self, i, param, grad):
        s = self.square_avg[i]
        s *= self.alpha
        s += (1 - self.alpha) * grad * grad
        param -= self.lr * grad / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    """Momentum and RMSprop together, with a correction for their start at zero (Kingma and Ba 2015).

    ## m (the mean of recent gradients) gives the direction, v (the mean of their
    ## squares) the scale. Both start at 0, so early averages are too small;
    ## dividing by 1 - beta^t undoes that.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr, weight_decay)
        self.betas, self.eps = betas, eps
        self.m, self.v, self._scratch = self._zeros(), self._zeros(), self._zeros()

    def _update(self, i, param, grad):
        b1, b2 = self.betas
        m, v, buf = self.m[i], self.v[i], self._scratch[i]
        # In place, through one scratch buffer: this runs for every parameter at every step.
        m *= b1
        m += np.multiply(grad, 1 - b1, out=buf)
        v *= b2
        np.multiply(grad, grad, out=buf)
        buf *= 1 - b2
        v += buf
        correction1, correction2 = 1 - b1**self.steps, 1 - b2**self.steps
        np.sqrt(v, out=buf)
        buf *= 1 / correction2**0.5
        buf += self.eps  # buf = sqrt(v_hat) + eps
        np.divide(m, buf, out=buf)
        buf *= self.lr / correction1  # buf = lr * m_hat / (sqrt(v_hat) + eps)
        param -= buf


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "rmsprop": RMSprop, "adam": Adam}
