"""The photos a transfer-learning run uses: train, validation and test, stratified, seeded and disjoint.

    split = split_photos(load, data_cfg, seed, dry_run)     # {"train": idx, "val": idx, "test": idx}

The test photos first (a labelled test/ folder, else a seeded 20% of each class that no --seed
moves: ``datasets.photos.held_out_mask``), then ``--limit``, then a stratified ``--val-fraction``
of the rest. Head-only and ``--fine-tune`` runs both take their photos from here, so they are the
very same photos.
"""

from __future__ import annotations

import numpy as np

from nnzero.config import DataConfig
from nnzero.datasets.bursts import pick_groups
from nnzero.datasets.photos import held_out_mask

DRY_RUN_PER_CLASS = 4  # --dry-run: this many photos of each class, in each split


def stratified_split(
    labels: np.ndarray, fraction: float, seed: int, groups: np.ndarray | None = None
) -> np.ndarray:
    """True for a seeded ``fraction`` of each class (at least one photo of each when fraction > 0);
    with ``groups``, of its capture bursts, each burst on one side (``datasets/bursts.py``)."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(labels), bool)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        k = int(round(len(members) * fraction))
        mask[pick_groups(rng, members, groups, k, at_least_one=fraction > 0 and len(members) > 1)] = True
    return mask


def split_photos(load, data_cfg: DataConfig, seed: int, dry_run: bool) -> dict[str, np.ndarray]:
    """Indices into the decoded photos: train, val, test (stratified, seeded, disjoint)."""
    labels, groups = load.labels(), load.groups()
    test = held_out_mask(labels, np.asarray(load.listing.held_out, bool)[load.kept], groups)
    rest = np.flatnonzero(~test)
    if data_cfg.limit:
        rest = np.sort(np.random.default_rng(seed).permutation(rest)[: data_cfg.limit])
    val = rest[stratified_split(labels[rest], data_cfg.val_fraction, seed, groups[rest])]
    out = {"train": np.setdiff1d(rest, val), "val": val, "test": np.flatnonzero(test)}
    if dry_run:
        out = {
            k: np.concatenate([v[labels[v] == c][:DRY_RUN_PER_CLASS] for c in np.unique(labels)])
            for k, v in out.items()
        }
    return out
