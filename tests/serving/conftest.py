"""Fixtures for the web app: real cat and dog photos, and a small photo checkpoint built from them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from ._web import SHARED_DATA


@pytest.fixture(scope="session")
def pet_photos() -> dict[str, list[Path]]:
    """40 real cat and 40 real dog photos from the Kaggle set (read in place, never copied into the repo)."""
    folder = Path(os.environ.get("NNZERO_CATSDOGS", SHARED_DATA / "catsdogs" / "train"))
    photos = {pet: sorted(folder.glob(f"{pet}.*.jpg"))[:40] for pet in ("cat", "dog")}
    if min(len(p) for p in photos.values()) < 40:
        pytest.skip(
            f"Kaggle cat/dog photos not found in {folder} (set NNZERO_CATSDOGS or NNZERO_SHARED_DATA)"
        )
    return photos


@pytest.fixture(scope="session")
def photo_checkpoint(pet_photos, tmp_path_factory) -> Path:
    """A 2-class, 3-channel lenet5 trained for a few epochs on 80 real 32x32 photos: a real photo model.

    Built here rather than with `nnzero train imagefolder`, so that these tests depend only on the
    checkpoint format; the API tests check its answers are well-formed, not that it tells cats from dogs.
    """
    from nnzero.datasets.images import open_image, prepare_photo
    from nnzero.models import create_model
    from nnzero.training.checkpoint import save_checkpoint

    classes = sorted(pet_photos)
    images = np.stack(
        [prepare_photo(open_image(p), 32, 3) for c in classes for p in pet_photos[c]]
    )  # (80, 3, 32, 32)
    labels = torch.tensor([i for i, c in enumerate(classes) for _ in pet_photos[c]])  # (80,)
    mean = images.mean(axis=(0, 2, 3)) / 255
    std = images.std(axis=(0, 2, 3)) / 255
    x = (torch.from_numpy(images).float() / 255 - torch.tensor(mean).view(1, 3, 1, 1).float()) / torch.tensor(
        std
    ).view(1, 3, 1, 1).float()  # (80, 3, 32, 32)
    torch.manual_seed(0)
    kwargs = {"num_classes": 2, "in_channels": 3, "image_size": 32}
    model = create_model("lenet5", **kwargs)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(5):
        for batch in torch.randperm(80).split(16):
            loss = torch.nn.functional.cross_entropy(model(x[batch]), labels[batch])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    run = tmp_path_factory.mktemp("runs") / "pets"
    run.mkdir()
    spec = {"kind": "photos", "channels": 3, "size": 32, "mean": mean.tolist(), "std": std.tolist()}
    return save_checkpoint(
        run / "best.pt",
        model.eval(),
        model_name="lenet5",
        model_kwargs=kwargs,
        classes=classes,
        input_spec=spec,
        metrics={"train_loss": loss.item()},
        dataset="catsdogs-80",
    )


@pytest.fixture(scope="module", autouse=True)
def _restore_torch_threads():
    """create_app bounds torch's threads for serving; the tests after these train and want them back."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
