"""The data a run trains on: the training set less a seeded, stratified validation split, and the test set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnzero.config import DataConfig
from nnzero.datasets import ImageSet, load_dataset


@dataclass
class Prepared:
    train: ImageSet
    val: ImageSet | None
    test: ImageSet | None


def split_validation(data: ImageSet, fraction: float, seed: int) -> tuple[ImageSet, ImageSet | None]:
    """A seeded, stratified split: each class gives the same share to validation."""
    if fraction <= 0:
        return data, None
    if data.files and len(set(data.files)) < len(data.files):
        return _split_clips(data, fraction, seed)
    rng = np.random.default_rng(seed)
    val_index = []
    for c in np.unique(data.labels):
        members = np.flatnonzero(data.labels == c)
        val_index.extend(rng.permutation(members)[: int(round(len(members) * fraction))])
    is_val = np.zeros(len(data), bool)
    is_val[val_index] = True
    return data.subset(np.flatnonzero(~is_val)), data.subset(np.flatnonzero(is_val))


def _split_clips(data: ImageSet, fraction: float, seed: int) -> tuple[ImageSet, ImageSet]:
    """The same, by file: the windows of one long clip (a song) all go to one side, never both."""
    rng = np.random.default_rng(seed)
    files, first = np.unique(np.asarray(data.files), return_index=True)  # (clips,), each clip's first window
    labels = data.labels[first]  # (clips,)
    held = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        held.extend(files[rng.permutation(members)[: int(round(len(members) * fraction))]])
    is_val = np.isin(np.asarray(data.files), held)  # (N,)
    return data.subset(np.flatnonzero(~is_val)), data.subset(np.flatnonzero(is_val))


def prepare_data(data_cfg: DataConfig, seed: int) -> Prepared:
    """The training set less its validation split (seeded by ``data.split_seed``, else ``seed``), and the test set."""
    seed = seed if data_cfg.split_seed is None else data_cfg.split_seed
    full = load_dataset(data_cfg, "train")
    if data_cfg.limit:
        full = full.subset(np.random.default_rng(seed).permutation(len(full))[: data_cfg.limit])
    train, val = split_validation(full, data_cfg.val_fraction, seed)
    try:
        test = load_dataset(data_cfg, "test")
    except FileNotFoundError:
        test = None
    return Prepared(train, val, test)
