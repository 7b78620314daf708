"""The photos a transfer-learning run uses: train, validation and test, stratified, seeded and disjoint.

    load = labelled_photos(data_dir, size, progress, cache_dir)   # decoded once, cached
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
from nnzero.datasets.photos import held_out_mask, read_photos
from nnzero.errors import DataError
from nnzero.i18n import tr

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


def split_note(from_folder: bool, counts: dict, n_classes: int) -> str:
    where = (
        tr("the labelled test/ folder", "带标签的 test/ 文件夹")
        if from_folder
        else tr(
            "no test/ folder, so a stratified 20% of each class (seed 0, the same every run) is held out",
            "没有 test/ 文件夹, 因此每个类别按分层抽样留出 20% (种子 0, 每次相同)",
        )
    )
    return tr(
        "{c} classes; test photos: {where}; {tr:,} training, {v:,} validation, {t:,} test photos "
        "(the test photos choose nothing)",
        "{c} 个类别; 测试照片: {where}; 训练 {tr:,} 张, 验证 {v:,} 张, 测试 {t:,} 张 (测试照片不参与任何选择)",
        c=n_classes,
        where=where,
        tr=counts["train"],
        v=counts["val"],
        t=counts["test"],
    )


def labelled_photos(data_dir, size: int, progress: bool, cache_dir):
    """The folder's photos decoded at ``size`` (from the cache where they are); a clear error if unlabelled."""
    load = read_photos(data_dir, size, quiet=not progress, cache_dir=cache_dir)
    if not load.listing.labelled:
        raise DataError(
            tr(
                "{root} holds unlabelled photos (a Kaggle test set): nothing to train on",
                "{root} 中是没有标签的照片 (Kaggle 测试集): 无法训练",
                root=load.listing.root,
            )
        )
    return load
