"""The pictures benchmarks/unknown.py shows its models: known photos from the feature cache, and the
out-of-distribution sets (MNIST digits as PNG files, the other photo set, noise, blank images)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from _common import REPO, SHARED

SETS = {
    "flowers": (SHARED / "data" / "flowers", "catsdogs"),
    "catsdogs": (SHARED / "data" / "catsdogs" / "train", "flowers"),
}


def digit_pngs(n: int, rng) -> list:
    """MNIST test digits as PNG files would give them (`nnzero data export mnist`)."""
    from PIL import Image

    from nnzero.datasets.mnist import load_idx_dataset

    images = load_idx_dataset("test").images
    out = []
    for i in rng.choice(len(images), n, replace=False):
        buf = io.BytesIO()
        Image.fromarray(np.asarray(images[i])[0]).save(buf, "PNG")
        buf.seek(0)
        out.append(Image.open(buf))
    return out


def photos_of(name: str, n: int, rng) -> list:
    from nnzero.datasets.images import open_image
    from nnzero.datasets.layouts import find_photos

    listing = find_photos(SETS[name][0])
    return [
        open_image(Path(listing.root) / listing.files[i])
        for i in rng.choice(len(listing.files), n, replace=False)
    ]


def plain_images(rng) -> dict:
    from PIL import Image

    noise = [Image.fromarray(rng.integers(0, 256, (300, 300, 3), dtype=np.uint8)) for _ in range(50)]
    colours = [(0, 0, 0), (255, 255, 255), (128, 128, 128)] + [
        tuple(map(int, rng.integers(0, 256, 3))) for _ in range(17)
    ]
    return {"noise": noise, "blank": [Image.new("RGB", (300, 300), c) for c in colours]}


def features_of(predictor, images: list) -> tuple[np.ndarray, int]:
    """(the last layer's features of the pictures the model accepts, how many it refused)."""
    import torch

    from nnzero.errors import DataError
    from nnzero.inference.predictor import as_image
    from nnzero.unknown import features_and_logits

    kept, refused = [], 0
    for im in images:
        try:
            kept.append(predictor.prepare(as_image(im)))
        except DataError:  # e.g. a blank picture has no digit for an MNIST model to centre
            refused += 1
    rows = []
    for i in range(0, len(kept), 64):
        rows.append(features_and_logits(predictor.model, predictor._input(np.stack(kept[i : i + 64])))[0])
    return (torch.cat(rows).numpy() if rows else np.zeros((0, 1), np.float32)), refused


def known_photos(predictor, config: dict) -> dict:
    """{split: (photo features, labels)} of the run's train, validation and test photos (feature cache)."""
    from nnzero.config import from_dict
    from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD, read_photos
    from nnzero.training.transfer.features import by_split, cached_features
    from nnzero.training.transfer.fit import _params
    from nnzero.training.transfer.split import split_photos

    cfg = from_dict(config)
    data, model, train = cfg["data"], cfg["model"], cfg["train"]
    load = read_photos(data.data_dir, data.image_size, quiet=True)
    split = split_photos(load, data, train.seed, False)
    used = np.concatenate(list(split.values()))
    paths = load.paths()
    feats = cached_features(
        predictor.model, _params(model, data.image_size), load.images, [paths[i] for i in used],
        IMAGENET_MEAN, IMAGENET_STD, load.listing.root, index=used,
    )  # fmt: skip
    views = by_split(feats.views, split)
    return {k: (views[k][0], load.labels()[split[k]]) for k in split}


def digit_photos(n: int) -> tuple[list, np.ndarray]:
    """Photos of handwritten digits as people take them: tests/fixtures/make_digit_photos.py's 11 kinds
    of shot (paper, blur, shadow, pencil, scan, ...) of MNIST test digits 100, 101, ...; and their labels."""
    import dataclasses

    sys.path.insert(0, str(REPO / "tests" / "fixtures"))
    import make_digit_photos as shots

    from nnzero.datasets.mnist import load_arrays

    images, labels = load_arrays("test")
    out = []
    for k in range(n):
        shot = dataclasses.replace(shots.SHOTS[k % len(shots.SHOTS)], index=100 + k)
        out.append(shots.render(images[100 + k], shot, np.random.default_rng([shots.SEED, 100 + k])))
    return out, np.asarray(labels[100 : 100 + n])
