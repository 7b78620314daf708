"""Photos (cats vs dogs, or any classes) from a folder: decoded once, cached, split into train and held-out.

    load_photos("~/data/dogs-vs-cats/train", "train", 64)   # ImageSet of uint8 (N, 3, 64, 64)
    load_photos("~/data/dogs-vs-cats/train", "test", 64)    # the held-out photos

Layouts are detected by ``layouts.find_photos``. Every photo is opened with
``datasets.images.open_image`` (EXIF rotation, CMYK, palette and alpha, 16-bit, bomb and
truncation checks) and made square with ``prepare_photo`` (shorter side to the size, centre
crop): exactly what ``nnzero predict`` does to a new photo. A file that cannot be decoded is
skipped and listed, never a crash. The array is cached (``datasets.cache``), keyed by the
file list and the size, so the second run decodes nothing.

The held-out ("test") photos: a labelled test/ or val/ folder beside train/ if there is one;
otherwise 20% of each class, chosen with a fixed seed (0) whatever the training seed, so
``nnzero evaluate`` and every run of any model are scored on the same photos. Training then
holds its own validation share (``--val-fraction``) out of the remaining 80%.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from nnzero.datasets.base import ImageSet
from nnzero.datasets.bursts import burst_groups, pick_groups
from nnzero.datasets.cache import Cached, fingerprint
from nnzero.datasets.layouts import PhotoList, find_photos
from nnzero.datasets.reader import read_files, skipped_summary  # noqa: F401 - skipped_summary is public here too
from nnzero.errors import DataError
from nnzero.i18n import tr

HELD_OUT_FRACTION = 0.2  # the share of each class kept for testing, as in the course and the benchmark
HELD_OUT_SEED = 0  # fixed: the held-out photos do not change with --seed
DEFAULT_SIZE = 64
RESIZE = "shorter-side-centre-crop"  # measured against squashing the whole photo: see docs/catsdogs.md
## ImageNet's statistics: what every pretrained model expects, and near enough to any photos' own.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def decode_photo(path: str, size: int, channels: int = 3) -> np.ndarray:
    """One photo file as uint8 (channels, size, size), as `nnzero predict` prepares it; DataError if it cannot."""
    from nnzero.datasets.images import open_image, prepare_photo

    ## draft: a JPEG decodes at 1/2, 1/4 or 1/8 scale for free, still at least `size` on each side.
    return prepare_photo(open_image(path, draft=(size, size)), size, channels)


@dataclass
class PhotoLoad:
    """Every decodable photo of a folder, with what was skipped and whether the cache answered."""

    listing: PhotoList
    images: np.ndarray  # (N_ok, 3, S, S) uint8, memory-mapped from the cache
    kept: np.ndarray  # (N_ok,) index of each image into listing.files
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    cache: Cached | None = None
    seconds: float = 0.0

    def labels(self) -> np.ndarray:
        return np.asarray(self.listing.labels, np.int64)[self.kept]  # (N_ok,)

    def paths(self) -> list[str]:
        return [os.path.join(self.listing.root, self.listing.files[i]) for i in self.kept]

    def groups(self) -> np.ndarray:
        """(N_ok,) which photos are held out together: the frames of one capture burst (``bursts.py``)."""
        return burst_groups([self.listing.files[i] for i in self.kept])


def read_photos(data_dir, image_size: int | None = None, *, quiet: bool = False, cache_dir=None) -> PhotoLoad:
    """All photos of a folder (any layout), decoded once and cached; see the module docstring."""
    start = time.perf_counter()
    size = image_size or DEFAULT_SIZE
    listing = find_photos(data_dir)
    prints = fingerprint(listing.root, listing.files)
    params = {"photos": 1, "image_size": size, "channels": 3, "resize": RESIZE}
    found = read_files(
        listing.root,
        prints,
        size=size,
        channels=3,
        params=params,
        decode=decode_photo,
        quiet=quiet,
        cache_dir=cache_dir,
        what=f" ({listing.layout} layout)",
        report_once=True,
    )
    return PhotoLoad(
        listing, found.images, found.kept, found.skipped, found.cache, time.perf_counter() - start
    )


def held_out_mask(
    labels: np.ndarray, from_folder: np.ndarray, groups: np.ndarray | None = None
) -> np.ndarray:
    """True for the held-out photos: a labelled test/val folder's, else a seeded 20% of each class
    (of its capture bursts, when ``groups`` says which photos are frames of one: ``bursts.py``)."""
    if from_folder.any():
        return from_folder.copy()
    rng = np.random.default_rng(HELD_OUT_SEED)
    mask = np.zeros(len(labels), bool)  # (N,)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        mask[pick_groups(rng, members, groups, int(round(len(members) * HELD_OUT_FRACTION)))] = True
    return mask


def load_photos(
    data_dir, split: str = "train", image_size: int | None = None, name: str = "catsdogs"
) -> ImageSet:
    """The training photos ('train') or the held-out photos ('test') of a labelled folder, as an ImageSet."""
    load = read_photos(data_dir, image_size)
    listing = load.listing
    if not listing.labelled:
        raise DataError(
            tr(
                "{root} holds unlabelled photos (<id>.jpg, a Kaggle test set): nothing to train or test on; "
                "predict them with `nnzero submit CHECKPOINT {root}`",
                "{root} 中是没有标签的照片 (<id>.jpg, Kaggle 测试集): 不能用来训练或测试; "
                "请用 `nnzero submit 检查点 {root}` 预测它们",
                root=listing.root,
            )
        )
    labels = load.labels()
    held = held_out_mask(labels, np.asarray(listing.held_out, bool)[load.kept], load.groups())  # (N_ok,)
    index = np.flatnonzero(held if split == "test" else ~held)
    files = load.paths()
    return ImageSet(
        load.images[index],  # (n, 3, S, S)
        labels[index],
        list(listing.classes),
        name,
        "photos",
        IMAGENET_MEAN,
        IMAGENET_STD,
        [files[i] for i in index],
        resize="crop",
        skipped=load.skipped,
    )
