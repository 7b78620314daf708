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
from types import SimpleNamespace

import numpy as np

from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.inference.classifier import ImageClassifier
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
        ## what says "none of my classes", when the checkpoint had it: unknown when the score < threshold
        told = self.document.get("unknown")
        self.unknown = SimpleNamespace(threshold=self.document["threshold"], **told) if told else None

    @property
    def name(self) -> str:
        return self.path.parent.name or "model"

    def _run(self, outputs: list[str], batch: np.ndarray) -> list[np.ndarray]:
        x = (np.asarray(batch, np.float32) / np.float32(255) - self._mean) / self._std  # (N, C, H, W)
        return self.session.run(outputs, {self._input: x})

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes) of prepared uint8 images (N, C, H, W)."""
        return self._run(["probabilities"], batch)[0]

    def scores(self, batch: np.ndarray) -> np.ndarray | None:
        """The "unknown" score (N,) of prepared images when the export has one (a picture is unknown when
        its score is below preprocess.json's ``threshold``); None otherwise."""
        return self._run([self.unknown.output], batch)[0] if self.unknown else None

    def answer(self, batch: np.ndarray, top: int = 3, unknown: bool = True, imagenet: int = 0) -> list[dict]:
        """As ``Predictor.answer``: the top classes and, when the export can tell, "unknown" and its score."""
        if imagenet:
            raise NnzeroError(
                tr(
                    "--imagenet needs the checkpoint (.pt): an export carries only its own classes",
                    "--imagenet 需要检查点 (.pt): 导出的模型只带有它自己的类别",
                )
            )
        telling = unknown and self.unknown is not None
        outputs = self._run(["probabilities", self.unknown.output] if telling else ["probabilities"], batch)
        threshold = self.unknown.threshold if telling else None
        return self.answers(outputs[0], top, outputs[1] if telling else None, threshold)
