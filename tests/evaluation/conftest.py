"""Two small real runs shared by the evaluation tests: mlp128 and lenet5, trained by the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnzero.cli import main

MODELS = ("mlp128", "lenet5")


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory) -> dict[str, Path]:
    """One epoch each on 3,000 real MNIST images, through `nnzero train` (which also writes report.html)."""
    runs = tmp_path_factory.mktemp("runs")
    for model in MODELS:
        args = ["train", "mnist", "--model", model, "--limit", "3000", "--epochs", "1"]
        assert main(args + ["--name", model, "--runs-dir", str(runs), "--quiet"]) == 0
    return {model: runs / model for model in MODELS}


@pytest.fixture(scope="session")
def test_digit(tmp_path_factory) -> tuple[Path, int]:
    """The first real MNIST test digit (a 7) saved as a PNG, and its label."""
    from nnzero.datasets import load_arrays

    images, labels = load_arrays("test")
    path = tmp_path_factory.mktemp("images") / "mnist-test-0.png"
    Image.fromarray(np.array(images[0])).save(path)
    return path, int(labels[0])


@pytest.fixture(scope="session")
def cat_photo() -> Path:
    """One real Kaggle cat photo (never copied into the repo)."""
    repo = Path(__file__).resolve().parents[2]
    folder = Path(os.environ.get("NNZERO_CATSDOGS", repo.parent / "shared" / "data" / "catsdogs" / "train"))
    photos = sorted(folder.glob("cat*.jpg"))[:1] if folder.is_dir() else []
    if not photos:
        pytest.skip(f"no cat/dog photos at {folder} (set NNZERO_CATSDOGS)")
    return photos[0]
