"""Cats vs dogs through the CLI: a short training learns, evaluate scores the same held-out photos, predict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nnzero.cli import main
from nnzero.datasets.photos import load_photos
from nnzero.training.checkpoint import load_checkpoint


@pytest.mark.slow  # the trained fixture trains on 240 photos (about 15 s)
def test_a_short_training_learns_on_held_out_real_photos(trained):
    ckpt = load_checkpoint(trained)
    # 60 photos the model never saw: chance is 0.5 (one standard deviation 0.065); shuffled labels or
    # misaligned images and labels would land there
    assert ckpt["metrics"]["test_accuracy"] >= 0.8
    assert ckpt["classes"] == ["cat", "dog"] and ckpt["input_spec"]["kind"] == "photos"
    assert ckpt["config"]["model"]["pretrained"] and ckpt["config"]["model"]["freeze_backbone"]
    assert "pretrained" not in ckpt["model_kwargs"]  # rebuilding needs no weights file or download


@pytest.mark.slow  # the trained fixture trains on 240 photos (about 15 s)
def test_evaluate_scores_the_same_held_out_photos(trained, tmp_path, capsys):
    assert main(["evaluate", str(trained), "--out", str(tmp_path / "eval"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    data_dir = load_checkpoint(trained)["config"]["data"]["data_dir"]
    held_out = load_photos(data_dir, "test", 96)
    assert result["images"] == len(held_out) == 60
    assert {m["file"] for m in result["mistakes"]} <= set(held_out.files)
    assert abs(result["test_accuracy"] - load_checkpoint(trained)["metrics"]["test_accuracy"]) < 1e-6
    assert 0 < result["log_loss"] < 0.6931 and result["roc_auc"] > 0.85
    assert (tmp_path / "eval" / "mistakes.png").stat().st_size > 0  # the gallery of confident mistakes


@pytest.mark.slow  # the trained fixture trains on 240 photos (about 15 s)
def test_predict_gives_cat_and_dog_probabilities(trained, photos_dir, photo_names, capsys):
    """20 real photos it never trained on (10 cats, 10 dogs): probabilities of both classes, mostly right."""
    photos = [photos_dir / n for c in ("cat", "dog") for n in photo_names[c][600:610]]
    assert main(["predict", str(trained), *map(str, photos), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["file"] for r in lines] == list(map(str, photos))
    for r in lines:
        assert {t["label"] for t in r["top"]} == {"cat", "dog"}
        assert abs(sum(t["prob"] for t in r["top"]) - 1) < 1e-4
    right = sum(r["top"][0]["label"] == Path(r["file"]).name.split(".")[0] for r in lines)
    assert right >= 15  # measured 18, 20 and 20 of 20 on photos 600-609, 700-709, 800-809


def test_dry_runs_take_seconds_and_write_nothing(kaggle_subset, tmp_path, capsys):
    folder = kaggle_subset(20)
    runs = tmp_path / "runs"
    assert (
        main(["train", "catsdogs", "--data-dir", str(folder), "--runs-dir", str(runs), "--dry-run", "--json"])
        == 0
    )
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["dry_run"] and result["checkpoint"] is None and not runs.exists()


@pytest.mark.slow  # the trained fixture trains on 240 photos (about 15 s)
def test_evaluate_on_a_folder_with_other_classes_says_so(trained, photos_dir, photo_names, tmp_path, capsys):
    """A folder that gained a class since the run (a Teach project, a student's folder) is refused by name."""
    from .conftest import link

    for c in ("cat", "dog", "horse"):  # the "horses" are cats: only the folder names matter here
        for f in photo_names["cat" if c == "horse" else c][600:604]:
            link(photos_dir / f, tmp_path / "three" / c / f)
    assert main(["evaluate", str(trained), "--data-dir", str(tmp_path / "three"), "--json"]) != 0
    message = capsys.readouterr().err
    assert "cat, dog, horse" in message and "are not the checkpoint's (cat, dog)" in message
