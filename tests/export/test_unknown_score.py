"""A checkpoint that can say "unknown" (issue 23's knn-cosine score) exports with the score in the graph.

The checkpoint's ``unknown`` entry is built here as nnzero.unknown builds it: a bank of real MNIST training
digits' features (what the last linear layer receives), rows of length 1, float16, k = 3, and a threshold.
onnxruntime's ``unknown_score`` must equal the score computed here independently (NumPy), and
preprocess.json must carry the threshold and the rule, so every runtime answers "unknown" as nnzero does.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime", reason="pip install 'nnzero[export]'")


def features(model: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    """What the model's last nn.Linear receives: (N, D)."""
    seen = []
    layer = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    hook = layer.register_forward_pre_hook(lambda _m, inputs: seen.append(inputs[0].flatten(1)))
    with torch.no_grad():
        model(x)
    hook.remove()
    return seen[0].numpy()


def knn_score(feats: np.ndarray, bank: np.ndarray, k: int) -> np.ndarray:
    unit = feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)
    return np.sort(unit @ bank.T, axis=1)[:, -k]  # the k-th largest cosine similarity


def test_the_unknown_score_and_threshold_travel_with_the_export(small_checkpoint, tmp_path):
    from nnzero.datasets import load_arrays
    from nnzero.export import export_model
    from nnzero.inference import load
    from nnzero.inference.onnx_predictor import OnnxPredictor

    predictor = load(small_checkpoint, device="cpu")
    normalise = lambda u8: (torch.tensor(u8).float()[:, None] / 255 - 0.1307) / 0.3081  # noqa: E731
    train, test = load_arrays("train")[0][:500], load_arrays("test")[0][:200]  # real digits (28, 28) uint8
    bank = features(predictor.model, normalise(train))
    bank = (bank / np.linalg.norm(bank, axis=1, keepdims=True)).astype(np.float16)  # (500, D), as stored
    scores = knn_score(features(predictor.model, normalise(test)), bank.astype(np.float32), 3)
    threshold = float(np.quantile(scores, 0.1))  # a tenth of these digits would be "unknown"
    ckpt = torch.load(small_checkpoint, weights_only=True)
    ckpt["unknown"] = {"method": "knn-cosine", "k": 3, "threshold": threshold, "coverage": 0.9,
                       "calibration": 200, "chosen_on": "test digits (this test)", "bank": torch.from_numpy(bank)}  # fmt: skip
    path = tmp_path / "run" / "best.pt"
    path.parent.mkdir()
    torch.save(ckpt, path)

    result = export_model(path, tmp_path / "onnx", check=8)
    assert result["graph"]["outputs"] == ["probabilities", "logits", "unknown_score"]
    assert result["check"]["max_score_diff"] <= 1e-4
    doc = json.loads((tmp_path / "onnx" / "preprocess.json").read_text())
    assert (
        doc["threshold"] == threshold
        and doc["unknown"]["output"] == "unknown_score"
        and doc["unknown"]["k"] == 3
    )
    theirs = OnnxPredictor(tmp_path / "onnx").scores(test[:, None])  # (200,)
    np.testing.assert_allclose(theirs, scores, atol=1e-4)
    assert ((theirs < threshold) == (scores < threshold)).all() and 10 <= (theirs < threshold).sum() <= 30
