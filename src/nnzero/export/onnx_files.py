"""The ONNX export's four files, and the check that they predict what the checkpoint predicts.

    made = write_onnx_files(ckpt, folder, check=32)    # preprocess.json, model.onnx, labels.txt, MODEL_CARD.md
    made["check"]                                      # {"images": 32, "same_top1": 32, "max_abs_diff": 3e-08}

The check runs `nnzero predict`'s own Predictor and onnxruntime on the same prepared real images (MNIST
test digits, resized and in colour for photo models): the same top class for every one and probabilities
within ``TOLERANCE``, and, for a checkpoint with an "unknown" score, the same score within ``TOLERANCE``
and the same unknown answers; otherwise NnzeroError, and the caller keeps nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nnzero import __version__
from nnzero.errors import NnzeroError
from nnzero.export.card import model_card, write_labels
from nnzero.export.onnx_graph import OUTPUTS, Classifier, write_onnx
from nnzero.export.unknown_score import OUTPUT as SCORE
from nnzero.export.unknown_score import ScoredClassifier, unknown_document
from nnzero.i18n import tr
from nnzero.inference.onnx_predictor import METADATA_KEY, PREPROCESS, OnnxPredictor
from nnzero.inference.predictor import Predictor
from nnzero.inference.preprocess_file import preprocess_document

TOLERANCE = 1e-4  # max |probability difference| between onnxruntime and PyTorch on the check images
CHECK_IMAGES = 32


def check_images(spec: dict, n: int = CHECK_IMAGES) -> np.ndarray:
    """n real MNIST test digits as prepared uint8 input (n, C, H, W) for ``spec``: photo models get them
    resized and in colour. Real pictures, so the check covers the values the network really meets."""
    from PIL import Image

    from nnzero.datasets.mnist import load_arrays

    digits = load_arrays("test")[0][:n]  # (n, 28, 28) uint8
    size, channels = spec["size"], spec["channels"]
    if size != 28:
        resized = [Image.fromarray(d).resize((size, size), Image.Resampling.BILINEAR) for d in digits]
        digits = np.stack([np.asarray(r) for r in resized])
    return np.repeat(digits[:, None], channels, axis=1)  # (n, C, size, size)


def compare(torch_probs: np.ndarray, onnx_probs: np.ndarray) -> dict:
    """How closely the two runtimes agree: images, same top-1 count, max |difference|."""
    same = int((torch_probs.argmax(1) == onnx_probs.argmax(1)).sum())
    diff = float(np.abs(torch_probs - onnx_probs).max())
    return {"images": len(torch_probs), "same_top1": same, "max_abs_diff": diff}


def _failed(what: str, detail: str) -> NnzeroError:
    return NnzeroError(
        tr(
            "export check failed: onnxruntime and PyTorch differ on real images ({what}: {detail}); "
            "nothing was written",
            "导出检验失败: onnxruntime 与 PyTorch 在真实图像上结果不同 ({what}: {detail}); 没有写入任何文件",
            what=what,
            detail=detail,
        )
    )


def _check(predictor: Predictor, folder: Path, n: int) -> dict:
    images = check_images(predictor.spec, n)
    onnx_side = OnnxPredictor(folder / "model.onnx")
    check = compare(predictor.probabilities(images), onnx_side.probabilities(images))
    if check["same_top1"] < check["images"] or check["max_abs_diff"] > TOLERANCE:
        raise _failed("probabilities", f"top-1 equal on {check['same_top1']} of {check['images']}, "
                      f"max |difference| {check['max_abs_diff']:.3g} > {TOLERANCE}")  # fmt: skip
    unknown = predictor.unknown
    if unknown is not None:  ## nnzero's own score (nnzero.unknown) against the graph's
        ours, theirs = unknown.scores(predictor.features(images)[0]), onnx_side.scores(images)
        gap = float(np.abs(ours - theirs).max())
        if gap > TOLERANCE or ((ours < unknown.threshold) != (theirs < unknown.threshold)).any():
            raise _failed(SCORE, f"max |difference| {gap:.3g}")
        check["max_score_diff"] = gap
    return check


def write_onnx_files(ckpt: dict, folder: Path, check: int = CHECK_IMAGES) -> dict:
    """preprocess.json, model.onnx (checked), labels.txt and MODEL_CARD.md into ``folder``; what was made."""
    predictor = Predictor(ckpt, "cpu")
    unknown = predictor.unknown  # None: this checkpoint cannot say "unknown"
    doc = preprocess_document(predictor.spec, predictor.classes, unknown.threshold if unknown else None)
    doc["unknown"] = unknown_document(unknown)
    (folder / PREPROCESS).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if unknown is None:
        wrapped, outputs = Classifier(predictor.model), OUTPUTS
    else:
        wrapped, outputs = ScoredClassifier(predictor.model, unknown), (*OUTPUTS, SCORE)
    meta = {METADATA_KEY: json.dumps(doc, ensure_ascii=False), "nnzero.model_name": ckpt["model_name"],
            "nnzero.version": __version__}  # fmt: skip
    spec = predictor.spec
    graph = write_onnx(wrapped, spec["channels"], spec["size"], folder / "model.onnx", meta, outputs)
    checked = _check(predictor, folder, check)
    write_labels(folder / "labels.txt", predictor.classes)
    (folder / "MODEL_CARD.md").write_text(model_card(ckpt, doc, checked, graph), encoding="utf-8")
    return {"kind": doc["kind"], "graph": graph, "check": checked, "preprocess": doc}
