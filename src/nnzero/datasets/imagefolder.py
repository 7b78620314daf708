"""Any folder-per-class tree of images, as torchvision's ImageFolder reads it, decoded once.

Two layouts are understood:

    DIR/train/<class>/*.png   DIR/test/<class>/*.png    (split folders; val/ too)
    DIR/<class>/*.jpg                                   (no split folders: all of it is 'train')

Classes are the sub-folder names sorted as ImageFolder sorts them (so class i means the
same thing here and there); folders whose name starts with '.' are skipped (the cache
lives in DIR/.nnzero-cache). The test split takes its class list from train, so labels
agree across splits. A tree without split folders has no test split: asking for one is
an error that says how to make one (training holds out its validation images itself).

Images may be grey or colour, of any size: all are squashed to image_size x image_size
(default: the size every image already has, if they all share one square size, else 64)
with 1 channel if every image is grey, else 3. Both are decided over the whole tree, so
train and test always agree. Files that cannot be decoded are skipped and listed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnzero.datasets.base import ImageSet, channel_stats
from nnzero.datasets.cache import Cached, cached_meta
from nnzero.datasets.decode import IMG_EXTENSIONS, probe
from nnzero.datasets.foldertree import has_split, scan_tree, split_dirs  # noqa: F401 - has_split is public here too
from nnzero.datasets.reader import read_files
from nnzero.errors import DataError
from nnzero.i18n import tr

FALLBACK_SIZE = 64  # when the images do not all share one square size


@dataclass
class FolderLoad:
    """An image folder split as loaded, with what was skipped and whether the cache answered."""

    data: ImageSet
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why it could not be decoded)
    cache: Cached | None = None
    seconds: float = 0.0


def resolve_settings(
    root: Path, prints: list, image_size: int | None, channels: int | None, cache_dir=None
) -> tuple[int, int]:
    """Fill in size and channels left as None from the headers of every file in the tree (cached)."""
    if image_size is not None and channels is not None:
        return image_size, channels
    headers = read_headers(root, prints, cache_dir)
    return image_size or headers["image_size"], channels or (1 if headers["grey"] else 3)


def read_headers(root: Path, prints: list, cache_dir=None) -> dict:
    """What the headers of every file say: the automatic size, all grey or not, the commonest sizes."""

    def look() -> dict:
        seen = probe([os.path.join(root, p) for p, _, _ in prints])
        return {
            "image_size": seen.auto_size(FALLBACK_SIZE),
            "grey": seen.grey,
            "unreadable": len(seen.failed),
            "sizes": [[w, h, n] for (w, h), n in seen.sizes.most_common(5)],
            "distinct_sizes": len(seen.sizes),
        }

    return cached_meta(root, prints, {"probe": FALLBACK_SIZE}, look, cache_dir)[0]


def array_params(split: str, image_size: int, channels: int) -> dict:
    """Everything that changes the cached pixels of a split (its cache key, with the files)."""
    return {"split": split, "image_size": image_size, "channels": channels, "resize": "squash-bilinear"}


def read_imagefolder(
    data_dir: str | Path,
    split: str = "train",
    image_size: int | None = None,
    channels: int | None = None,
    cache_dir: str | Path | None = None,
    quiet: bool = False,
) -> FolderLoad:
    """Load one split; see the module docstring for layouts, sizes and the cache."""
    start = time.perf_counter()
    if data_dir is None:
        raise DataError(
            tr(
                "an image folder needs --data-dir DIR (DIR/train/<class>/*.png, or DIR/<class>/*.jpg)",
                "图片文件夹需要 --data-dir DIR (DIR/train/<类别>/*.png, 或 DIR/<类别>/*.jpg)",
            )
        )
    root = Path(data_dir)
    classes, files = scan_tree(root, split)
    prints, labels = files[split]
    if not prints:
        raise DataError(
            tr(
                "no images in {folder} (looked for {ext} files in the class folders {classes})",
                "{folder} 中没有图片 (在类别文件夹 {classes} 中查找 {ext} 文件)",
                ext=" ".join(IMG_EXTENSIONS),
                folder=root / split if split_dirs(root) else root,
                classes=", ".join(classes),
            )
        )
    all_prints = [p for ps, _ in files.values() for p in ps]
    image_size, channels = resolve_settings(root, all_prints, image_size, channels, cache_dir)
    found = read_files(
        root,
        prints,
        size=image_size,
        channels=channels,
        params=array_params(split, image_size, channels),
        quiet=quiet,
        cache_dir=cache_dir,
    )
    kept = found.kept
    images = found.images  # (N, C, S, S) uint8
    mean, std = channel_stats(images)
    base = str(root) + os.sep
    data = ImageSet(
        images,
        np.asarray(labels, np.int64)[kept],
        classes,
        "imagefolder",
        "digits" if channels == 1 else "photos",
        mean,
        std,
        [base + prints[i][0] for i in kept],
        resize="squash",  # decode.py fits each image to the square as Resize((s, s)) does
    )
    return FolderLoad(data, found.skipped, found.cache, time.perf_counter() - start)


def load_imagefolder(data_dir: str | Path, split: str = "train", image_size: int | None = None) -> ImageSet:
    """The 'train' or 'test' split of a folder-per-class tree as an ImageSet (cached after the first load)."""
    return read_imagefolder(data_dir, split, image_size).data
