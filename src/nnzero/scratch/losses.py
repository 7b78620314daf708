"""Losses: one number that says how wrong the network is, and its gradient.

A loss has ``forward(logits, targets)`` returning the mean over the batch (a Python
float) and ``backward()`` returning ``dlogits``, the gradient of that mean with
respect to the network's outputs, which ``Sequential.backward`` takes from there.
"""

from __future__ import annotations

import numpy as np

from nnzero.i18n import tr
from nnzero.scratch._base import ShapeError
from nnzero.scratch.activations import sigmoid


class Loss:
    def __call__(self, logits: np.ndarray, targets: np.ndarray) -> float:
        return self.forward(logits, targets)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _check(self, logits: np.ndarray, targets: np.ndarray, same_shape: bool) -> None:
        if (
            not isinstance(logits, np.ndarray)
            or logits.ndim != 2
            or not np.issubdtype(logits.dtype, np.floating)
        ):
            raise ShapeError(
                tr(
                    "{loss}: logits must be a float array (N, K), got {got}",
                    "{loss}: logits 必须是形状为 (N, K) 的浮点数组, 实际是 {got}",
                    loss=self,
                    got=getattr(logits, "shape", type(logits).__name__),
                )
            )
        want = logits.shape if same_shape else logits.shape[:1]
        if np.shape(targets) != want:
            raise ShapeError(
                tr(
                    "{loss}: targets must have shape {want} for logits {shape}, got {got}",
                    "{loss}: 对于形状为 {shape} 的 logits, targets 形状应为 {want}, 实际是 {got}",
                    loss=self,
                    want=want,
                    shape=logits.shape,
                    got=np.shape(targets),
                )
            )


class SquaredError(Loss):
    """Half the squared distance to the target, summed over outputs, averaged over the batch."""

    def forward(self, logits, targets):
        self._check(logits, targets, same_shape=True)
        self.diff = logits - targets  # (N, K)
        return float(0.5 * np.sum(self.diff * self.diff) / len(logits))

    def backward(self):
        ## The 1/2 cancels the 2 of the square: the gradient is simply the error.
        return self.diff / len(self.diff)  # (N, K)


class SoftmaxCrossEntropy(Loss):
    """-log(probability given to the right class), with the softmax inside.

    ## softmax(z)_k = e^z_k / sum_j e^z_j. Subtracting max(z) first changes nothing
    ## (it cancels in the fraction) but keeps e^z from overflowing. And log(softmax) is
    ## computed as z - logsumexp(z), never as log of a tiny number.
    """

    def forward(self, logits, targets):
        self._check(logits, targets, same_shape=False)
        targets = np.asarray(targets)
        if (
            not np.issubdtype(targets.dtype, np.integer)
            or targets.min() < 0
            or targets.max() >= logits.shape[1]
        ):
            raise ShapeError(
                tr(
                    "{loss}: targets must be class numbers 0..{k}, got {dtype} from {lo} to {hi}",
                    "{loss}: targets 必须是 0..{k} 的类别编号, 实际是 {dtype}, 范围 {lo} 到 {hi}",
                    loss=self,
                    k=logits.shape[1] - 1,
                    dtype=targets.dtype,
                    lo=targets.min(),
                    hi=targets.max(),
                )
            )
        shifted = logits - logits.max(axis=1, keepdims=True)  # (N, K), largest is 0
        exp = np.exp(shifted)  # (N, K), each in (0, 1]
        total = exp.sum(axis=1)  # (N,), at least 1
        self.probs, self.targets = exp / total[:, None], targets  # (N, K), (N,)
        log_right = shifted[np.arange(len(targets)), targets] - np.log(total)  # (N,) log p(right class)
        return float(-log_right.mean())

    def backward(self):
        ## The famous simple result: dL/dz = softmax(z) - onehot(target), over N.
        dlogits = self.probs.copy()  # (N, K)
        dlogits[np.arange(len(self.targets)), self.targets] -= 1
        dlogits /= len(self.targets)
        return dlogits


class BinaryCrossEntropy(Loss):
    """-[t log p + (1-t) log(1-p)] with p = sigmoid(logit), summed over outputs, averaged over the batch.

    ## Taking logits (not probabilities) lets it use the stable form
    ## max(z, 0) - z t + log(1 + e^-|z|), which never takes the log of 0.
    """

    def forward(self, logits, targets):
        self._check(logits, targets, same_shape=True)
        self.logits, self.targets = logits, targets
        per_value = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))  # (N, K)
        return float(per_value.sum() / len(logits))

    def backward(self):
        return (sigmoid(self.logits) - self.targets) / len(self.logits)  # (N, K)
