"""A frozen backbone run by onnxruntime: the same features as PyTorch's, several times sooner on a CPU.

    embed = backbone_engine(model, size=260, precision="fp32")   # OnnxEmbed, or None: use PyTorch
    rows = embed(x)                                              # (B, D) float32 of a (B, 3, S, S) batch

## A frozen backbone only ever runs forward, on batches of one size: exactly what an inference runtime is
## built for. On the 2-core EPYC, 32 photos a batch, EfficientNet-Lite2 at 260 px runs at 16.8 photos/s in
## PyTorch (two threads, channels-last) and 63.9 in onnxruntime (two threads); Lite0 at 224 px, 44.9 and
## 117 (benchmarks/photos_engine.py). The features agree to about 1e-5, so both share one cache.
## bfloat16 autocast stays with PyTorch (onnxruntime's CPU kernels are float32); so does a backbone the
## exporter cannot trace: PyTorch then computes the same features, only slower.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

ENGINES = ("auto", "onnxruntime", "torch")
ENGINE_VARIABLE = "NNZERO_FEATURE_ENGINE"  # auto (the default) | onnxruntime | torch
## exporting and checking the backbone costs 1.5-2 s: auto uses onnxruntime from this many photos (for
## Lite0, PyTorch needs ~1.4 s for 32 photos and their mirrors, onnxruntime 0.5 s plus the export)
WORTH_IT_FROM = 64


class _Embed(nn.Module):
    """``model.embed`` as a module's forward: what the exporter traces."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.embed(x)


class OnnxEmbed:
    """``embed`` of a saved ONNX graph; each process opens its own session on first use (a session
    made before ``fork`` must not cross it), with ``threads`` threads."""

    def __init__(self, path: Path, threads: int = 1):
        self.path, self.threads, self._session, self._pid = Path(path), threads, None, None

    def _open(self):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = max(1, self.threads), 1
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        return ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def close(self) -> None:
        self._session = self._pid = None

    def __call__(self, x: torch.Tensor) -> np.ndarray:
        if self._session is None or self._pid != os.getpid():
            self._session, self._pid = self._open(), os.getpid()
        feed = np.ascontiguousarray(x.numpy(), dtype=np.float32)
        return self._session.run(None, {"x": feed})[0]


def wanted_engine() -> str:
    """What NNZERO_FEATURE_ENGINE asks for: auto (unset or empty), onnxruntime or torch."""
    wanted = os.environ.get(ENGINE_VARIABLE, "auto").strip().lower() or "auto"
    if wanted not in ENGINES:
        raise ValueError(f"{ENGINE_VARIABLE}={wanted!r}: expected one of {', '.join(ENGINES)}")
    return wanted


def chosen_engine(precision: str = "fp32", photos: int = WORTH_IT_FROM) -> str:
    """``onnxruntime`` where it is installed, the backbone runs in float32 and there are enough
    ``photos`` to pay for the export, else ``torch``; NNZERO_FEATURE_ENGINE=torch (or onnxruntime) decides instead."""
    wanted = wanted_engine()
    if wanted == "torch" or precision != "fp32" or (wanted == "auto" and photos < WORTH_IT_FROM):
        return "torch"
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        if wanted == "onnxruntime":
            raise
        return "torch"
    return "onnxruntime"


def export_embed(model: nn.Module, size: int, folder: Path) -> Path:
    """``model.embed`` (in eval mode) as ``folder/embed.onnx``, with a free batch dimension; every
    module's train/eval mode is as it was before."""
    path = Path(folder) / "embed.onnx"
    sample = torch.zeros(2, 3, size, size)
    ## the TorchScript exporter: 1.3 s for Lite2 against 15 s for the dynamo one, and the graph runs the same.
    ## It puts the module it is given back into that module's mode when done: a wrapper made in training
    ## mode would turn BatchNorm's batch statistics on in the backbone; _in_eval restores each module's own.
    loud = logging.getLogger("torch.onnx")
    level, loud.level = loud.level, logging.ERROR
    try:
        with (
            _in_eval(model),
            torch.no_grad(),
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Embed(model).eval(), (sample,), str(path), input_names=["x"], output_names=["features"],
                dynamic_axes={"x": {0: "batch"}, "features": {0: "batch"}}, dynamo=False,
            )  # fmt: skip
    finally:
        loud.level = level
    return path


@contextlib.contextmanager
def _in_eval(model: nn.Module):
    """``model`` in eval mode for the ``with`` block, then every module back in its own mode."""
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        yield model
    finally:
        for m, training in modes.items():
            m.training = training


def agrees(model: nn.Module, embed: OnnxEmbed, size: int, tolerance: float = 1e-3) -> bool:
    """Whether the exported graph gives ``model.embed``'s rows for a random batch: the tracer records
    one run, so a backbone whose path depends on its input (or leaves torch) would come out wrong."""
    x = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(0)) * 4 - 2
    with _in_eval(model), torch.no_grad():
        expected = model.embed(x).float().numpy()
    got = embed(x)
    scale = np.abs(expected).max() + 1e-6
    return got.shape == expected.shape and float(np.abs(got - expected).max()) <= tolerance * scale


@contextlib.contextmanager
def backbone_engine(
    model: nn.Module, size: int | None, precision: str = "fp32", threads: int = 1, photos: int = WORTH_IT_FROM
):
    """An :class:`OnnxEmbed` of ``model`` for the ``with`` block, or None where PyTorch should run it
    (bfloat16, onnxruntime missing, too few ``photos``, photos of unknown ``size`` to export for, a model
    the exporter cannot trace or traces wrong)."""
    if size is None or chosen_engine(precision, photos) != "onnxruntime":
        yield None
        return
    asked = wanted_engine() == "onnxruntime"
    with tempfile.TemporaryDirectory(prefix="nnzero-embed-") as folder:
        try:
            embed = OnnxEmbed(export_embed(model, size, Path(folder)), threads)
            if not agrees(model, embed, size):
                raise RuntimeError("the exported backbone does not give PyTorch's features")
            embed.close()  # the session checked here stays out of any forked worker
        except Exception:  # noqa: BLE001  (any exporter failure: PyTorch computes the same features)
            if asked:  # NNZERO_FEATURE_ENGINE=onnxruntime: asked for by name, the failure is not hidden
                raise
            yield None
            return
        yield embed
