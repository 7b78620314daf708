"""Data sets as in-memory uint8 arrays: MNIST (shipped), Fashion-MNIST, image folders, photos (any classes),
and sounds as log-mel pictures (FSDD, folders of clips)."""

from __future__ import annotations

from nnzero.datasets.base import ImageSet, channel_stats
from nnzero.datasets.mnist import KNOWN as IDX_DATASETS
from nnzero.datasets.mnist import load_arrays, load_idx_dataset


def load_dataset(data, split: str) -> ImageSet:
    """The 'train' or 'test' split of the data set a DataConfig names."""
    if data.dataset in IDX_DATASETS:
        return load_idx_dataset(split, data.dataset, data.data_dir)
    if data.dataset == "imagefolder":
        from nnzero.datasets.imagefolder import load_imagefolder

        return load_imagefolder(data.data_dir, split, data.image_size)
    if data.dataset in ("catsdogs", "photos"):
        from nnzero.datasets.photos import load_photos

        return load_photos(data.data_dir, split, data.image_size, name=data.dataset)
    if data.dataset in ("fsdd", "sounds"):
        from nnzero.datasets.sounds import load_sounds

        return load_sounds(data, split)
    raise ValueError(f"unknown data set {data.dataset!r}")


__all__ = ["ImageSet", "channel_stats", "load_arrays", "load_dataset", "load_idx_dataset", "IDX_DATASETS"]
