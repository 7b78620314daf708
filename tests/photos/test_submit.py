"""`nnzero submit`: Kaggle's exact format, one row per photo, sorted ids, clipping, TTA, bad files, log-loss."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from nnzero.cli import main
from nnzero.errors import NnzeroError
from nnzero.evaluation.metrics import binary_log_loss
from nnzero.evaluation.submission import DEFAULT_CLIP, checkpoint_clip, positive_index
from nnzero.training.checkpoint import load_checkpoint

from .conftest import link

IDS = [3, 1, 12, 2, 10, 5, 11, 4, 9, 6]  # shuffled on purpose; 7 and 8 are bad files


@pytest.fixture
def test_folder(tmp_path, photos_dir, photo_names):
    """A Kaggle-style test folder: <id>.jpg for 10 real photos (5 cats, 5 dogs), an empty 7.jpg, a text 8.jpg."""
    folder = tmp_path / "test1"
    names = photo_names["cat"][400:405] + photo_names["dog"][400:405]
    for i, name in zip(IDS, names):
        link(photos_dir / name, folder / f"{i}.jpg")
    (folder / "7.jpg").write_bytes(b"")
    (folder / "8.jpg").write_text("not a photo")
    return folder


def _submit(capsys, *args) -> dict:
    assert main(["submit", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _read(path) -> tuple[list[str], list[int], np.ndarray]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [int(r[0]) for r in rows[1:]], np.array([float(r[1]) for r in rows[1:]])


@pytest.mark.slow  # the trained fixture trains on 240 photos (about 15 s)
def test_the_file_is_kaggle_s_format(trained, test_folder, tmp_path, capsys):
    out = tmp_path / "submission.csv"
    result = _submit(capsys, trained, test_folder, "--out", out)
    header, ids, p = _read(out)
    assert header == ["id", "label"] and out.read_text().startswith("id,label\n")
    assert ids == list(range(1, 13))  # one row per file, bad ones included, sorted by number
    assert p[6] == p[7] == 0.5  # 7.jpg and 8.jpg could not be decoded: the row that risks least
    assert sorted(s["file"] for s in result["skipped"]) == ["7.jpg", "8.jpg"]
    assert result["rows"] == 12 and result["photos_decoded"] == 10 and result["positive"] == "dog"
    clip = load_checkpoint(trained)["metrics"]["calibration"]["clip"]  # chosen on the run's validation photos
    assert result["clip"] == clip and (p >= clip).all() and (p <= 1 - clip).all()
    assert "log_loss" not in result  # no labels in an <id>.jpg folder


@pytest.mark.slow  # the trained fixture trains on 240 photos (about 15 s)
def test_clipping_and_tta(trained, test_folder, tmp_path, capsys):
    _submit(capsys, trained, test_folder, "--out", tmp_path / "raw.csv", "--clip", "0")
    _submit(capsys, trained, test_folder, "--out", tmp_path / "clip.csv", "--clip", "0.3")
    _submit(capsys, trained, test_folder, "--out", tmp_path / "tta.csv", "--tta")
    raw, clipped, tta = (_read(tmp_path / f"{n}.csv")[2] for n in ("raw", "clip", "tta"))
    np.testing.assert_allclose(clipped, np.clip(raw, 0.3, 0.7), atol=1e-6)
    assert (clipped == 0.3).any() and (clipped == 0.7).any()  # the trained model is confident on some
    clip = load_checkpoint(trained)["metrics"]["calibration"]["clip"]
    assert np.abs(tta - np.clip(raw, clip, 1 - clip)).max() > 1e-3  # the mirror image changes the answers
    assert tta[6] == 0.5
    assert (
        main(["submit", str(trained), str(test_folder), "--clip", "0.5", "--out", str(tmp_path / "x.csv")])
        == 2
    )
    assert "--clip must be in [0, 0.5)" in capsys.readouterr().err


@pytest.mark.slow  # the trained fixture trains on 240 photos (about 15 s)
def test_labelled_photos_report_the_submission_s_log_loss(trained, kaggle_subset, tmp_path, capsys):
    folder = kaggle_subset(20, offset=500, name="labelled")
    result = _submit(capsys, trained, folder, "--out", tmp_path / "s.csv", "--tta")
    _, ids, p = _read(tmp_path / "s.csv")
    names = sorted(f.name for f in folder.iterdir())
    by_row = sorted(names, key=lambda n: (int(n.split(".")[1]), n))  # rows: by id, then file name
    y = np.array([n.startswith("dog") for n in by_row], float)
    assert ids == [int(n.split(".")[1]) for n in by_row]
    assert result["log_loss"] == pytest.approx(binary_log_loss(p, y), abs=1e-4)
    assert result["accuracy"] >= 0.75  # the trained model, on 40 photos it never saw


@pytest.mark.slow  # the trained fixture trains on 240 photos (about 15 s)
def test_dry_run_writes_nothing(trained, test_folder, tmp_path, capsys):
    result = _submit(capsys, trained, test_folder, "--out", tmp_path / "never.csv", "--dry-run")
    assert result["dry_run"] and result["out"] is None and result["rows"] == 12
    assert not (tmp_path / "never.csv").exists()


def test_the_probability_written_is_the_dog_class_s():
    assert positive_index(["cat", "dog"]) == 1 and positive_index(["Dog", "Cat"]) == 0
    assert positive_index(["kitten", "puppy"], "puppy") == 1
    with pytest.raises(NnzeroError, match="--positive"):
        positive_index(["kitten", "puppy"])


def test_the_clip_comes_from_the_checkpoint_and_never_from_a_constant():
    assert checkpoint_clip({"metrics": {"calibration": {"clip": 0.002}}}) == 0.002
    assert checkpoint_clip({"metrics": {}}) == DEFAULT_CLIP  # a checkpoint that chose none


@pytest.mark.slow  # the trained fixture trains on 240 photos (about 15 s)
def test_many_photos_run_as_feature_extraction_does_with_the_same_probabilities(
    trained, photos_dir, photo_names, monkeypatch
):
    from nnzero.datasets.photos import decode_photo
    from nnzero.inference.predictor import BATCH_PATH_AT_LEAST, Predictor
    from nnzero.training.transfer import features

    files = photo_names["cat"][300:335] + photo_names["dog"][300:335]
    images = np.stack([decode_photo(str(photos_dir / f), 96) for f in files])  # (70, 3, 96, 96)
    predictor = Predictor.from_checkpoint(trained, precision="fp32")
    assert len(images) >= BATCH_PATH_AT_LEAST
    calls = []
    real = features.embed_batches
    monkeypatch.setattr(features, "embed_batches", lambda *a, **k: calls.append(k) or real(*a, **k))
    fast = predictor.view_probabilities(images, ("photo", "mirror"))
    assert len(calls) == 1  # the backbone ran once, for both views, in the feature extractor's workers
    for view, flip in (("photo", False), ("mirror", True)):
        one_by_one = predictor.probabilities(np.ascontiguousarray(images[..., ::-1]) if flip else images)
        assert fast[view].shape == (70, 2)
        np.testing.assert_allclose(fast[view], one_by_one, atol=1e-4)
    assert not np.allclose(fast["photo"], fast["mirror"])
    few = predictor.view_probabilities(images[:5], ("photo",))  # a handful: PyTorch, batch after batch
    assert len(calls) == 1 and np.allclose(few["photo"], fast["photo"][:5], atol=1e-4)
