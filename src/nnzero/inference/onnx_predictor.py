"""``OnnxPredictor``: an exported ``model.onnx`` answering like ``nnzero.load``, with onnxruntime and no torch.

    from nnzero.inference.onnx_predictor import OnnxPredictor
    predictor = OnnxPredictor("export/model.onnx")      # or the export's folder
    predictor.predict(["seven.jpg"], top=3)             # [[{"label": "7", "prob": 0.98}, ...]]

The preparation comes from the export's ``preprocess.json`` (or, for a lone model.onnx, the copy of it
that the export puts in the model's metadata) and is nnzero's own (``inference/prepare.py``), so an
export and its checkpoint prepare a picture identically. torch is never imported: ``nnzero predict
model.onnx`` runs where only ``pip install onnxruntime`` is.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.inference.prepare import ImageClassifier
from nnzero.inference.preprocess_file import spec_from_document

PREPROCESS, METADATA_KEY = "preprocess.json", "nnzero.preprocess"


def _runtime():
    try:
        import onnxruntime
    except ImportError:
        raise NnzeroError(
            tr(
                "running an ONNX model needs onnxruntime: pip install onnxruntime (or 'nnzero[export]')",
                "运行 ONNX 模型需要 onnxruntime: pip install onnxruntime (或 'nnzero[export]')",
            )
        ) from None
    return onnxruntime


def _document(path: Path, session) -> dict:
    """preprocess.json beside the model, else the copy in the model's metadata."""
    beside = path.with_name(PREPROCESS)
    if beside.is_file():
        return json.loads(beside.read_text(encoding="utf-8"))
    meta = session.get_modelmeta().custom_metadata_map
    if METADATA_KEY in meta:
        return json.loads(meta[METADATA_KEY])
    raise NnzeroError(
        tr(
            "{path}: no preprocess.json beside it and none in its metadata; nnzero cannot tell how to "
            "prepare images for it (export it with `nnzero export`)",
            "{path}: 旁边没有 preprocess.json, 元数据中也没有; nnzero 不知道如何为它准备图像 "
            "(请用 `nnzero export` 导出)",
            path=path,
        )
    )


class OnnxPredictor(ImageClassifier):
    """onnxruntime on the CPU (``prepare``, ``predict``: ImageClassifier)."""

    def __init__(self, path: str | Path, threads: int | None = None):
        ort = _runtime()
        path = Path(path)
        path = path / "model.onnx" if path.is_dir() else path
        if not path.is_file():
            raise NnzeroError(tr("{path}: no such ONNX model", "{path}: 找不到该 ONNX 模型", path=path))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.log_severity_level = 3  # errors only: its warnings are about graph rewrites, not the user
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own kinds for a damaged file
            raise NnzeroError(
                tr("{path}: not an ONNX model onnxruntime can run ({e})", "{path}: 不是 onnxruntime "
                   "能运行的 ONNX 模型 ({e})", path=path, e=str(e).splitlines()[0][:200])
            ) from None  # fmt: skip
        self.path = path
        self.document = _document(path, self.session)
        self.spec = spec_from_document(self.document)
        self.classes = list(self.document["classes"])
        shape = (1, self.spec["channels"], 1, 1)
        self._mean = np.asarray(self.spec["mean"], np.float32).reshape(shape)
        self._std = np.asarray(self.spec["std"], np.float32).reshape(shape)
        self._input = self.session.get_inputs()[0].name

    @property
    def name(self) -> str:
        return self.path.parent.name or "model"

    def _run(self, output: str, batch: np.ndarray) -> np.ndarray:
        x = (np.asarray(batch, np.float32) / np.float32(255) - self._mean) / self._std  # (N, C, H, W)
        return self.session.run([output], {self._input: x})[0]

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes) of prepared uint8 images (N, C, H, W)."""
        return self._run("probabilities", batch)

    def scores(self, batch: np.ndarray) -> np.ndarray | None:
        """The "unknown" score (N,) of prepared images, when the export has one (preprocess.json's
        ``unknown``: a picture is unknown when its score is below ``threshold``); None otherwise."""
        unknown = self.document.get("unknown")
        return self._run(unknown["output"], batch) if unknown else None
