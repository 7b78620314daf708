"""A PyTorch classifier as an ONNX graph: prepared images in, class probabilities and logits out.

    info = write_onnx(model, channels=1, size=28, path="model.onnx", metadata={"nnzero.classes": "..."})

The graph's input ``image`` is float32 (N, C, H, W) with a dynamic batch N, normalised as preprocess.json
says; its outputs are ``probabilities`` (N, classes) and ``logits`` (N, classes), by name, so that more can
be added after them (an "unknown" score) without breaking programs that read the first two. PyTorch's
``torch.export``-based exporter (the one that needs onnxscript) writes it; ``onnx.checker`` checks it.
When the exporter refuses a model, :func:`blame` finds the smallest part of the network that it refuses
alone and the error names it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import warnings
from pathlib import Path

import torch
from torch import nn

from nnzero.errors import NnzeroError
from nnzero.i18n import tr

INPUT, OUTPUTS = "image", ("probabilities", "logits")
OPSET = 18  # what torch's exporter writes best (its onnxscript library's opset); onnxruntime-web runs it
## torch.nn building blocks the exporter has always handled: a failing export is never their fault
_KNOWN_GOOD = (
    nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d, nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.Sigmoid,
    nn.Tanh, nn.Hardtanh, nn.SiLU, nn.GELU, nn.Dropout, nn.Flatten, nn.MaxPool2d, nn.AvgPool2d,
    nn.AdaptiveAvgPool2d, nn.Identity, nn.Sequential, nn.ModuleList,
)  # fmt: skip


class Classifier(nn.Module):
    """The network with its softmax: (probabilities, logits), both float32 (N, classes)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.net(image).float()  # (N, classes)
        return torch.softmax(logits, dim=1), logits


@contextlib.contextmanager
def _quietly():
    """The exporter narrates every step on stdout and logs graphs on failure: keep the user's console clean."""
    loggers = [logging.getLogger(n) for n in ("torch", "torch.onnx", "torch._dynamo", "torch.export")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _export(module: nn.Module, sample: tuple, dynamic: bool, names: dict | None = None):
    """torch.onnx.export(dynamo=True) quietly; the ONNXProgram, or the exporter's exception."""
    shapes = None
    if dynamic:
        batch = torch.export.Dim("batch", min=1, max=1 << 16)
        shapes = {"image": {0: batch}}
    with _quietly():
        return torch.onnx.export(
            module, sample, None, dynamo=True, opset_version=OPSET, dynamic_shapes=shapes,
            verbose=False, **(names or {}),
        )  # fmt: skip


def write_onnx(
    wrapped: Classifier, channels: int, size: int, path: str | Path, metadata: dict, outputs=OUTPUTS
) -> dict:
    """Export ``wrapped`` (a Classifier, whose outputs are named ``outputs``) to one self-contained ``path``;
    raise NnzeroError naming what stopped it."""
    import onnx

    wrapped = wrapped.eval()
    sample = (torch.zeros(2, channels, size, size),)  # batch 2: a batch of 1 would let the exporter fix N
    names = {"input_names": [INPUT], "output_names": list(outputs)}
    try:
        program = _export(wrapped, sample, dynamic=True, names=names)
    except Exception as e:  # the exporter raises many kinds; each is one message for the user
        raise _refused(wrapped.net, sample[0], e) from None
    graph = program.model_proto
    graph.producer_name, graph.producer_version = "nnzero (torch.onnx dynamo exporter)", torch.__version__
    for key, value in metadata.items():
        graph.metadata_props.add(key=key, value=str(value))
    onnx.checker.check_model(graph, full_check=True)
    Path(path).write_bytes(graph.SerializeToString())  # one file: no external data (a browser fetches one)
    return {"opset": OPSET, "input": INPUT, "outputs": list(outputs), "bytes": Path(path).stat().st_size}


def _summary(error: BaseException) -> str:
    """The exporter's own one-line reason, without its colour codes and advice to PyTorch developers."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error))
    if "## Exception summary" in text:
        text = text.split("## Exception summary", 1)[1]
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(error).__name__)
    line = re.sub(r"^<class '[\w.]*?(\w+)'>: ", r"\1: ", line)
    return line[:300]


def blame(model: nn.Module, image: torch.Tensor) -> tuple[str, str] | None:
    """(path, class) of the smallest part of ``model`` that the exporter refuses on its own, or None.

    One forward pass records what each module receives; then each module not in torch.nn's known-good
    list is exported alone, innermost first (forward hooks fire as a module finishes, children first).
    """
    calls: list[tuple[str, nn.Module, tuple]] = []
    hooks = [
        m.register_forward_hook(lambda mod, args, out, name=name: calls.append((name, mod, args)))
        for name, m in model.named_modules()
        if not isinstance(m, _KNOWN_GOOD) or m is model
    ]
    try:
        with torch.no_grad():
            model(image)
    except Exception:  # noqa: BLE001 - a model that cannot even run is blamed as a whole below
        pass
    finally:
        for h in hooks:
            h.remove()
    seen = set()
    for name, module, args in calls:
        if id(module) in seen or not all(isinstance(a, torch.Tensor) for a in args):
            continue
        seen.add(id(module))
        try:
            _export(module, tuple(args), dynamic=False)
        except Exception:  # noqa: BLE001 - this is the one
            return name or "(the whole model)", type(module).__name__
    return None


def _refused(model: nn.Module, image: torch.Tensor, error: BaseException) -> NnzeroError:
    where = blame(model.eval(), image)
    part = (
        tr("layer `{p}` ({c})", "层 `{p}` ({c})", p=where[0], c=where[1])
        if where
        else tr("the model", "模型")
    )
    return NnzeroError(
        tr(
            "ONNX export failed at {part}: {why}. That layer uses an operation ONNX cannot express or "
            "Python control flow that depends on the data; rewrite it with standard torch operations",
            "ONNX 导出失败, 出错的是{part}: {why}。该层使用了 ONNX 无法表达的运算, 或依赖数据取值的 Python "
            "控制流; 请改用标准的 torch 运算",
            part=part,
            why=_summary(error),
        )
    )
