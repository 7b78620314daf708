"""Shared fixtures: the repo's paths, real data from ../shared/data, and one small trained checkpoint."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("NNZERO_SHARED_DATA", REPO.parent / "shared" / "data"))
FIXTURES = REPO / "tests" / "fixtures"

torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """Tests read English messages unless they switch language themselves (the locale says nothing)."""
    monkeypatch.delenv("NNZERO_LANG", raising=False)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    figures = sys.modules.get("nnzero.figures")
    if figures is not None:
        figures._told = False  # each test may see the one-line "no Chinese font" note afresh


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    path = SHARED_DATA / "mnist"
    if not (path / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real MNIST files not found at {path} (set NNZERO_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """An mlp128 trained for one epoch on 6,000 real MNIST images (a few seconds), through the library."""
    import nnzero

    runs = tmp_path_factory.mktemp("runs")
    run = nnzero.train(
        "mnist", model="mlp128", epochs=1, limit=6000, name="small", runs_dir=runs, progress=False,
        say=lambda message: None,
    )  # fmt: skip
    assert run.checkpoint == runs / "small" / "best.pt" and run.checkpoint.exists()
    return run


@pytest.fixture(scope="session")
def small_checkpoint(small_run) -> Path:
    return small_run.checkpoint


@pytest.fixture(scope="session")
def fsdd_data() -> Path:
    path = SHARED_DATA / "fsdd"
    if not (path / "recordings" / "0_george_0.wav").exists():
        pytest.skip(f"FSDD recordings not found in {path} (set NNZERO_SHARED_DATA)")
    pytest.importorskip("soundfile", reason='pip install -e ".[sound]"')
    return path


@pytest.fixture(scope="session")
def sound_run(fsdd_data, tmp_path_factory):
    """soundcnn trained for 8 epochs on FSDD's convention split (about 15 s), through the library.

    Without augmentation: it pays over the default 40 epochs, but slows 8 (0.94 with it, 0.976 without)."""
    import nnzero

    runs = tmp_path_factory.mktemp("runs")
    os.environ.setdefault("NNZERO_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    run = nnzero.train(
        "fsdd", data_dir=fsdd_data, epochs=8, augment=False, name="digits-heard", runs_dir=runs,
        progress=False, say=lambda message: None,
    )  # fmt: skip
    assert run.checkpoint.exists()
    return run
