"""A committee through the newer doors: the export (its shifts in the graph), and the unknown answer,
which one network with test-time shifts keeps and a committee of several does not give."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nnzero
from nnzero.errors import DataError
from nnzero.training.checkpoint import load_checkpoint

from .conftest import QUIET


def test_a_committee_exports_with_its_shifts_and_the_export_answers_as_it_does(
    committee_run, test_digits, tmp_path
):
    pytest.importorskip("onnxruntime")
    from nnzero.export import export_model
    from nnzero.inference.onnx_predictor import OnnxPredictor

    result = export_model(committee_run.checkpoint, tmp_path / "onnx")
    assert result["model_name"] == "committee" and result["check"]["same_top1"] == result["check"]["images"]
    images, _ = test_digits
    exported = OnnxPredictor(tmp_path / "onnx").probabilities(images)  # (200, 10)
    ours = nnzero.load(committee_run.checkpoint)
    np.testing.assert_allclose(exported, ours.probabilities(images), rtol=0, atol=1e-5)
    plain = nnzero.load(committee_run.checkpoint, tta="none").probabilities(images)
    assert np.abs(exported - plain).max() > 1e-3  # the graph holds the shifts, not the bare committee
    assert json.loads((tmp_path / "onnx" / "preprocess.json").read_text())["unknown"] is None


def test_a_committee_always_names_a_class_and_says_why_at_unknown_dir(committee_run, test_digits, tmp_path):
    members = committee_run.dir / "members"
    assert load_checkpoint(members / "0" / "best.pt").get("unknown")  # each member alone can tell
    predictor = nnzero.load(committee_run.checkpoint)
    assert predictor.unknown is None and load_checkpoint(committee_run.checkpoint).get("unknown") is None
    answers = predictor.answer(test_digits[0][:20])
    assert all(a["label"] in predictor.classes and not a.get("unknown") for a in answers)
    with pytest.raises(DataError, match="is a committee"):
        nnzero.evaluate(committee_run.checkpoint, unknown_dir=tmp_path)


def test_one_network_with_test_time_shifts_keeps_its_unknown_answer(test_digits, tmp_path):
    """Its score is read on the picture itself (the bank was made of unshifted pictures), its answer
    averaged over the shifts; the export computes both as nnzero does."""
    run = nnzero.train(
        "mnist", model="mlp128", epochs=1, limit=3000, tta="shifts", name="one", runs_dir=tmp_path, **QUIET
    )
    shifted, alone = nnzero.load(run.checkpoint), nnzero.load(run.dir / "members" / "0" / "best.pt")
    assert shifted.unknown is not None and shifted.unknown.threshold == alone.unknown.threshold
    images = test_digits[0][:50]
    a, b = shifted.answer(images), alone.answer(images)
    assert [x["score"] for x in a] == pytest.approx([x["score"] for x in b], abs=2e-4)
    assert max(abs(x["top"][0]["prob"] - y["top"][0]["prob"]) for x, y in zip(a, b)) > 1e-3
    result = nnzero.evaluate(run.checkpoint)
    assert result["unknown"]["test_coverage"] > 0.5
    pytest.importorskip("onnxruntime")
    from nnzero.export import export_model

    check = export_model(run.checkpoint, tmp_path / "onnx")["check"]
    assert check["same_top1"] == check["images"]
