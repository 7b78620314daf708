"""Sequential: layers in a row, trained by the chain rule, saved as one ``.npz`` file.

## forward: each layer's output is the next one's input.
## backward: the chain rule, read from the end: each layer turns the gradient with
## respect to its output into the gradient with respect to its input, and on the
## way adds the gradients of its own weights into ``layer.grads``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nnzero.errors import CheckpointError
from nnzero.i18n import tr
from nnzero.scratch import activations, layers
from nnzero.scratch._base import Layer

FORMAT = "nnzero-scratch-1"
LAYER_TYPES: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (
        layers.Linear,
        layers.Conv2d,
        layers.MaxPool2d,
        layers.Flatten,
        layers.Dropout,
        activations.ReLU,
        activations.LeakyReLU,
        activations.Sigmoid,
        activations.Tanh,
    )
}


class Sequential:
    def __init__(self, *layer_list: Layer, meta: dict | None = None):
        self.layers = list(layer_list)
        self.meta = dict(meta or {})  # free-form facts saved with the weights (model name, data set, metrics)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    __call__ = forward

    def backward(self, dout: np.ndarray, need_dx: bool = False) -> np.ndarray | None:
        """Gradients of every parameter from ``dout`` = dL/d(output); dL/d(input) only if ``need_dx``.

        ## The input is data, not something we can change, so by default we stop at the
        ## first layer with weights: it needs its weight gradient but not its dx.
        ## That saves a third of the work of a Linear first layer.
        """
        first = 0 if need_dx else next((i for i, layer in enumerate(self.layers) if layer.params), 0)
        for i in range(len(self.layers) - 1, first - 1, -1):
            dout = self.layers[i].backward(dout, need_dx=need_dx or i > first)
        return dout if need_dx else None

    def parameters(self):
        """(param, grad) pairs, what an optimizer takes."""
        for layer in self.layers:
            for key, param in layer.params.items():
                yield param, layer.grads[key]

    def named_parameters(self):
        """(name, param, grad), with names like "1.W" (layer index, key)."""
        for i, layer in enumerate(self.layers):
            for key, param in layer.params.items():
                yield f"{i}.{key}", param, layer.grads[key]

    def zero_grad(self) -> None:
        for _, grad in self.parameters():
            grad.fill(0)

    def train(self) -> Sequential:
        for layer in self.layers:
            layer.training = True
        return self

    def eval(self) -> Sequential:
        for layer in self.layers:
            layer.training = False
        return self

    @property
    def training(self) -> bool:
        return all(layer.training for layer in self.layers)

    @property
    def dtype(self) -> np.dtype:
        return next((p.dtype for p, _ in self.parameters()), np.dtype(np.float32))

    def num_parameters(self) -> int:
        return sum(p.size for p, _ in self.parameters())

    def predict(self, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Logits (N, K) in evaluation mode, a batch at a time so memory stays small."""
        was_training = self.training
        self.eval()
        try:
            return np.concatenate([self.forward(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
        finally:
            if was_training:
                self.train()

    def summary(self, input_shape: tuple[int, ...]) -> list[tuple[str, tuple[int, ...], int]]:
        """(layer, output shape, parameters) for each layer, from one image of ``input_shape``."""
        x = np.zeros((1, *input_shape), self.dtype)  # (1, *input_shape)
        rows = []
        was_training = self.training
        self.eval()
        for i, layer in enumerate(self.layers):
            x = layer.forward(x)
            rows.append((f"{i} {layer!r}", tuple(x.shape[1:]), sum(p.size for p in layer.params.values())))
        if was_training:
            self.train()
        return rows

    def state(self) -> dict[str, np.ndarray]:
        """A copy of every parameter, by name (to keep the last good weights)."""
        return {name: param.copy() for name, param, _ in self.named_parameters()}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Copy ``state`` into the parameters, in place (optimizers keep their references)."""
        for name, param, _ in self.named_parameters():
            if name not in state or state[name].shape != param.shape:
                got = state[name].shape if name in state else tr("nothing", "无")
                raise CheckpointError(
                    tr(
                        "parameter {name} should have shape {want}, the file has {got}",
                        "参数 {name} 的形状应为 {want}, 文件中是 {got}",
                        name=name,
                        want=param.shape,
                        got=got,
                    )
                )
            np.copyto(param, state[name])

    def architecture(self) -> dict:
        return {
            "format": FORMAT,
            "dtype": str(self.dtype),
            "layers": [{"type": type(layer).__name__, **layer.config()} for layer in self.layers],
        }

    def save(self, path: str | Path) -> Path:
        """One ``.npz``: the architecture and meta as JSON, then every parameter by name."""
        path = Path(path)
        header = json.dumps({**self.architecture(), "meta": self.meta})
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, architecture=np.array(header), **self.state())
        tmp.replace(path)
        return path

    @classmethod
    def from_architecture(cls, arch: dict, meta: dict | None = None) -> Sequential:
        dtype = np.dtype(arch.get("dtype", "float32"))
        built = []
        for spec in arch["layers"]:
            spec = dict(spec)
            kind = spec.pop("type")
            if kind not in LAYER_TYPES:
                raise CheckpointError(
                    tr(
                        "unknown layer type {kind}; known: {known}",
                        "未知的层类型 {kind}; 已知: {known}",
                        kind=kind,
                        known=", ".join(LAYER_TYPES),
                    )
                )
            if (
                "init" in spec
            ):  # layers with weights take a dtype; their starting values get overwritten on load
                spec["dtype"] = dtype
            built.append(LAYER_TYPES[kind](**spec))
        return cls(*built, meta=meta)

    @classmethod
    def load(cls, path: str | Path) -> Sequential:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(str(data["architecture"]))
                state = {k: data[k] for k in data.files if k != "architecture"}
        except (OSError, ValueError, KeyError) as e:
            raise CheckpointError(
                tr(
                    "{path} is not a scratch network (.npz saved by nnzero scratch): {err}",
                    "{path} 不是 scratch 网络 (nnzero scratch 保存的 .npz): {err}",
                    path=path,
                    err=e,
                )
            ) from e
        if header.get("format") != FORMAT:
            raise CheckpointError(
                tr(
                    "{path}: unknown format {fmt!r}",
                    "{path}: 未知格式 {fmt!r}",
                    path=path,
                    fmt=header.get("format"),
                )
            )
        net = cls.from_architecture(header, header.get("meta"))
        net.load_state(state)
        return net

    def __repr__(self) -> str:
        return "Sequential(\n" + "".join(f"  ({i}) {layer!r}\n" for i, layer in enumerate(self.layers)) + ")"
