"""Layers with weights or structure: Linear, Conv2d, MaxPool2d, Flatten, Dropout.

Each one follows the contract in ``_base.py``. Shapes follow PyTorch: images are
(N, C, H, W); ``Linear.W`` is (in_features, out_features), so ``y = x @ W + b``
reads like the course's formula (PyTorch stores the transpose, (out, in)).
"""

from __future__ import annotations

import numpy as np

from nnzero.i18n import tr
from nnzero.scratch._base import Layer
from nnzero.scratch.init import initial_weights


class Linear(Layer):
    """Fully connected: every output is a weighted sum of every input, plus a bias."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str = "he",
        dtype=np.float32,
        rng: np.random.Generator | None = None,
    ):
        super().__init__()
        self.in_features, self.out_features, self.bias, self.init = in_features, out_features, bias, init
        self._add_param(
            "W", initial_weights(init, (in_features, out_features), in_features, out_features, rng, dtype)
        )  # (in, out)
        if bias:
            self._add_param("b", np.zeros(out_features, dtype))  # (out,)

    def config(self) -> dict:
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.bias,
            "init": self.init,
        }

    def __repr__(self) -> str:
        return f"Linear({self.in_features} -> {self.out_features})"

    def forward(self, x):
        self._check(
            x,
            f"(N, {self.in_features})",
            lambda x: x.ndim == 2 and x.shape[1] == self.in_features,
            tr("put a Flatten() before it", "请在它前面加一个 Flatten()") if np.ndim(x) > 2 else "",
        )
        self.x = x  # (N, in): the only thing backward needs
        out = x @ self.params["W"]  # (N, out)
        if self.bias:
            out += self.params["b"]
        return out

    def backward(self, dout, need_dx=True):
        self._check_dout(dout, (len(self.x), self.out_features))
        ## y = x W + b, so dL/dW = x^T dL/dy (each weight sees the input it multiplied),
        ## dL/db = the sum of dL/dy over the batch, and dL/dx = dL/dy W^T.
        self.grads["W"] += self.x.T @ dout  # (in, out)
        if self.bias:
            self.grads["b"] += dout.sum(axis=0)  # (out,)
        return dout @ self.params["W"].T if need_dx else None  # (N, in)


class Conv2d(Layer):
    """A small filter slid over the image: the same weights at every position.

    ## im2col: lay every k x k patch of the input out as one column of a matrix; then
    ## the whole convolution is a single matrix product with the filters, which BLAS
    ## does fast. The matrix is filled by k*k strided copies, one per filter position
    ## (all images and all output positions at once), so Python loops only k*k times.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
        init: str = "he",
        dtype=np.float32,
        rng: np.random.Generator | None = None,
    ):
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.stride, self.padding, self.bias, self.init = stride, padding, bias, init
        k = kernel_size
        fan_in, fan_out = in_channels * k * k, out_channels * k * k
        self._add_param(
            "W", initial_weights(init, (out_channels, in_channels, k, k), fan_in, fan_out, rng, dtype)
        )  # (O, C, k, k)
        if bias:
            self._add_param("b", np.zeros(out_channels, dtype))  # (O,)

    def config(self) -> dict:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "bias": self.bias,
            "init": self.init,
        }

    def __repr__(self) -> str:
        k, s, p = self.kernel_size, self.stride, self.padding
        extra = (f", stride {s}" if s != 1 else "") + (f", padding {p}" if p else "")
        return f"Conv2d({self.in_channels} -> {self.out_channels}, {k}x{k}{extra})"

    def _out_size(self, H: int, W: int) -> tuple[int, int]:
        k, s, p = self.kernel_size, self.stride, self.padding
        return (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1

    def _taps(self, a: np.ndarray, OH: int, OW: int):
        """(i, j, view): for each filter position, the (C, OH, OW, N) inputs it multiplies."""
        k, s = self.kernel_size, self.stride
        for i in range(k):
            for j in range(k):
                yield i, j, a[:, i : i + s * (OH - 1) + 1 : s, j : j + s * (OW - 1) + 1 : s]

    def forward(self, x):
        k, p = self.kernel_size, self.padding
        self._check(
            x,
            f"(N, {self.in_channels}, H, W) with H, W >= {k - 2 * p}",
            lambda x: x.ndim == 4 and x.shape[1] == self.in_channels and min(x.shape[2:]) + 2 * p >= k,
        )
        N, C, H, W = x.shape
        (OH, OW), O = self._out_size(H, W), self.out_channels
        ## Inside, images are kept as (C, H, W, N) in memory, the batch innermost: then a
        ## shifted window is a few long contiguous runs, and copies and adds are fast.
        ## The output is handed on as an (N, O, OH, OW) view of that memory.
        xt = x.transpose(1, 2, 3, 0)  # (C, H, W, N), a view
        if p:
            padded = np.zeros((C, H + 2 * p, W + 2 * p, N), x.dtype)  # (C, H+2p, W+2p, N)
            padded[:, p : p + H, p : p + W] = xt
            xt = padded
        cols = np.empty((C, k, k, OH, OW, N), x.dtype)  # (C, k, k, OH, OW, N)
        for i, j, view in self._taps(xt, OH, OW):
            cols[:, i, j] = view  # im2col: one shifted copy of the image per filter position
        self.cols = cols.reshape(C * k * k, OH * OW * N)  # (C*k*k, OH*OW*N): backward needs it for dW
        self.x_shape = x.shape
        out = self.params["W"].reshape(O, C * k * k) @ self.cols  # (O, OH*OW*N)
        if self.bias:
            out += self.params["b"][:, None]
        return out.reshape(O, OH, OW, N).transpose(3, 0, 1, 2)  # (N, O, OH, OW), a view

    def backward(self, dout, need_dx=True):
        N, C, H, W = self.x_shape
        k, p, O = self.kernel_size, self.padding, self.out_channels
        OH, OW = self._out_size(H, W)
        self._check_dout(dout, (N, O, OH, OW))
        dout2 = dout.transpose(1, 2, 3, 0).reshape(O, OH * OW * N)  # (O, OH*OW*N), a view if from our memory
        ## out = W cols + b is a matrix product, so: dW = dout cols^T, dcols = W^T dout.
        self.grads["W"] += (dout2 @ self.cols.T).reshape(O, C, k, k)  # (O, C, k, k)
        if self.bias:
            self.grads["b"] += dout2.sum(axis=1)  # (O,)
        if not need_dx:
            return None
        dcols = (self.params["W"].reshape(O, C * k * k).T @ dout2).reshape(
            C, k, k, OH, OW, N
        )  # (C, k, k, ...)
        ## col2im: every input pixel was copied into several columns, so its gradient is
        ## the sum of what each of those copies received: one shifted add per position.
        dx = np.zeros((C, H + 2 * p, W + 2 * p, N), dout.dtype)  # (C, H+2p, W+2p, N)
        for i, j, view in self._taps(dx, OH, OW):
            view += dcols[:, i, j]
        return dx[:, p : p + H, p : p + W].transpose(3, 0, 1, 2)  # (N, C, H, W), a view


class MaxPool2d(Layer):
    """Keep the largest value of each kernel x kernel window: smaller maps, a little shift tolerance."""

    def __init__(self, kernel_size: int = 2, stride: int | None = None):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride or kernel_size

    def config(self) -> dict:
        return {"kernel_size": self.kernel_size, "stride": self.stride}

    def _taps(self, a: np.ndarray, OH: int, OW: int):
        """One (N, C, OH, OW) strided view of ``a`` per position inside the window."""
        k, s = self.kernel_size, self.stride
        for i in range(k):
            for j in range(k):
                yield a[:, :, i : i + s * (OH - 1) + 1 : s, j : j + s * (OW - 1) + 1 : s]

    def forward(self, x):
        k, s = self.kernel_size, self.stride
        self._check(x, f"(N, C, H, W) with H, W >= {k}", lambda x: x.ndim == 4 and min(x.shape[2:]) >= k)
        OH, OW = (x.shape[2] - k) // s + 1, (x.shape[3] - k) // s + 1
        taps = self._taps(x, OH, OW)
        out = next(taps).copy(order="K")  # (N, C, OH, OW), in x's memory order
        for view in taps:
            np.maximum(out, view, out=out)
        self.x, self.out = x, out  # backward finds each window's winner again by comparing
        return out

    def backward(self, dout, need_dx=True):
        self._check_dout(dout, self.out.shape)
        ## Only the winner of each window affected the output, so only it gets the
        ## gradient. On a tie the first tap wins, as in PyTorch.
        # Every array below takes x's memory order (``*_like``): ops on matching strides are fast.
        dx = np.zeros_like(self.x)  # (N, C, H, W)
        free = np.ones_like(self.out, bool)  # (N, C, OH, OW): windows whose winner is still to be found
        d = np.empty_like(self.out)  # (N, C, OH, OW)
        d[...] = dout
        OH, OW = self.out.shape[2:]
        for x_tap, dx_tap in zip(self._taps(self.x, OH, OW), self._taps(dx, OH, OW), strict=True):
            won = x_tap == self.out  # (N, C, OH, OW) bool
            won &= free
            free ^= won
            dx_tap += np.multiply(d, won, dtype=d.dtype)
        return dx


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W): turns feature maps into one vector per image for Linear."""

    def forward(self, x):
        self._check(x, "(N, ...)", lambda x: x.ndim >= 2)
        self.x_shape = x.shape
        return x.reshape(len(x), -1)  # (N, C*H*W), in PyTorch's order (c, y, x)

    def backward(self, dout, need_dx=True):
        return dout.reshape(self.x_shape)  # (N, C, H, W)


class Dropout(Layer):
    """Training: zero each value with probability p, scale the rest by 1/(1-p). Evaluation: do nothing.

    ## Dropping random units stops them relying on each other (less overfitting); the
    ## 1/(1-p) keeps the expected sum unchanged, so evaluation needs no rescaling.
    """

    def __init__(self, p: float = 0.5, seed: int | None = None):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p, self.seed = p, seed
        self.rng = np.random.default_rng(seed)

    def config(self) -> dict:
        return {"p": self.p, "seed": self.seed}

    def forward(self, x):
        self._check(x, "(N, ...)", lambda x: x.ndim >= 1)
        if not self.training or self.p == 0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape, dtype=x.dtype) >= self.p  # (same as x) bool
        self.mask = keep * x.dtype.type(1.0 / (1.0 - self.p))  # (same as x)
        return x * self.mask

    def backward(self, dout, need_dx=True):
        return dout if self.mask is None else dout * self.mask
