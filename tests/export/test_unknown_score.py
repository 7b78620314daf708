"""An export says "unknown" exactly as nnzero does (issue 23's answer travels with the model).

The session's small MNIST run stores nnzero's unknown answer (a bank of known digits' features and a
threshold chosen on validation digits). Its export must carry the score inside the graph
(``unknown_score``) and the threshold in preprocess.json; then `nnzero predict model.onnx` and
`nnzero predict best.pt` give the same scores and the same "unknown" answers on real pictures: digit
photos (known) and cat photos (a cat is not a digit).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnzero.cli import main

from .conftest import digit_files, shared_photos

pytest.importorskip("onnxruntime", reason="pip install 'nnzero[export]'")


def predict_json(model, pictures, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["predict", str(model), *map(str, pictures), "--json", "--device", "cpu"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_the_unknown_answer_travels_with_the_export(small_checkpoint, tmp_path, capsys):
    from nnzero.export import export_model
    from nnzero.inference import load

    predictor = load(small_checkpoint, device="cpu")
    assert predictor.unknown is not None  # nnzero.train stores it for MNIST runs
    result = export_model(small_checkpoint, tmp_path / "onnx", check=32)
    assert result["graph"]["outputs"] == ["probabilities", "logits", "unknown_score"]
    assert result["check"]["max_score_diff"] <= 1e-4
    doc = json.loads((tmp_path / "onnx" / "preprocess.json").read_text())
    assert doc["threshold"] == predictor.unknown.threshold and doc["unknown"]["output"] == "unknown_score"
    assert doc["unknown"]["k"] == predictor.unknown.k

    pictures = digit_files() + shared_photos("pets", 16)[:8]  # 12 digit photos, 8 cats
    ours = predict_json(small_checkpoint, pictures, capsys)
    theirs = predict_json(tmp_path / "onnx" / "model.onnx", pictures, capsys)
    for a, b in zip(ours, theirs, strict=True):
        assert (a["label"], a["unknown"]) == (b["label"], b["unknown"]), a["file"]
        assert abs(a["score"] - b["score"]) <= 2e-4  # both rounded to 4 decimals
    ## both answers are exercised: known digits, and (a cat is not a digit) pictures of none of the classes
    assert sum(a["unknown"] for a in ours if "cat." in a["file"]) >= 1
    assert sum(not a["unknown"] for a in ours if "digits" in a["file"]) >= 6
    np.testing.assert_array_less(-1.0001, [a["score"] for a in theirs])  # cosines
