"""What every layer shares: the contract, the parameter dicts, and input checks.

The contract (after llm.c's ``layernorm.py`` and tinygrad's first ``ops.py``):

- ``forward(x)`` returns the output and keeps only what ``backward`` will need;
- ``backward(dout)`` returns ``dx`` (the gradient of the loss with respect to the
  input) and *adds* the parameter gradients into ``self.grads``;
- ``self.params`` and ``self.grads`` are dicts with the same keys, holding arrays of
  the same shapes, so an optimizer can walk them in pairs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnzero.errors import NnzeroError
from nnzero.i18n import tr


class ShapeError(NnzeroError, ValueError):
    """An array of the wrong shape or dtype reached a layer or a loss; the message names both."""


class Layer:
    """Base class: a layer with no parameters until a subclass adds some."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True  # Dropout behaves differently in training and evaluation

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """``need_dx=False`` lets the network skip dx where nobody needs it (the data's gradient)."""
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def config(self) -> dict:
        """The keyword arguments that rebuild this layer (saved with the network)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.config().items() if k != "dtype")
        return f"{type(self).__name__}({args})"

    def _add_param(self, name: str, value: np.ndarray) -> None:
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)

    @property
    def dtype(self) -> np.dtype | None:
        """The parameters' dtype; None for a layer without parameters."""
        return next(iter(self.params.values())).dtype if self.params else None

    def _check(
        self, x: np.ndarray, want: str, shape_ok: Callable[[np.ndarray], bool], hint: str = ""
    ) -> None:
        """Fail with a message naming this layer, the shape it wants and the shape it got."""
        if not isinstance(x, np.ndarray):
            raise ShapeError(
                tr(
                    "{layer}: input must be a NumPy array, got {kind}",
                    "{layer}: 输入必须是 NumPy 数组, 实际是 {kind}",
                    layer=self,
                    kind=type(x).__name__,
                )
            )
        if not shape_ok(x):
            raise ShapeError(
                tr(
                    "{layer}: expected input of shape {want}, got {got}",
                    "{layer}: 输入形状应为 {want}, 实际是 {got}",
                    layer=self,
                    want=want,
                    got=tuple(x.shape),
                )
                + (f"; {hint}" if hint else "")
            )
        self._check_dtype(x)

    def _check_dtype(self, x: np.ndarray) -> None:
        want = self.dtype
        if want is None:
            if x.dtype.kind != "f":
                raise ShapeError(
                    tr(
                        "{layer}: input must be float32 or float64, got {got}; convert with "
                        "x.astype(np.float32)",
                        "{layer}: 输入必须是 float32 或 float64, 实际是 {got}; "
                        "请用 x.astype(np.float32) 转换",
                        layer=self,
                        got=x.dtype,
                    )
                )
        elif x.dtype != want:
            raise ShapeError(
                tr(
                    "{layer}: input dtype {got} does not match the layer's {want}; convert with "
                    "x.astype(np.{want}) or build the network with dtype=np.{got}",
                    "{layer}: 输入类型 {got} 与层的参数类型 {want} 不一致; 请用 x.astype(np.{want}) "
                    "转换, 或用 dtype=np.{got} 构建网络",
                    layer=self,
                    got=x.dtype,
                    want=want,
                )
            )

    def _check_dout(self, dout: np.ndarray, shape: tuple[int, ...]) -> None:
        if dout.shape != shape:
            raise ShapeError(
                tr(
                    "{layer}: backward got dout of shape {got}, but forward returned {want}",
                    "{layer}: 反向传播收到的 dout 形状为 {got}, 但前向输出是 {want}",
                    layer=self,
                    got=tuple(dout.shape),
                    want=shape,
                )
            )
