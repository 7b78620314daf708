"""Capture bursts are held out whole (datasets/bursts.py), and other folders split exactly as before."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from nnzero.datasets.bursts import burst_groups, burst_of
from nnzero.datasets.foldertree import find_classes
from nnzero.datasets.photos import held_out_mask
from nnzero.training.transfer.split import split_photos, stratified_split


def _old_held_out(labels):  # the code before bursts, word for word
    rng = np.random.default_rng(0)
    mask = np.zeros(len(labels), bool)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        mask[rng.permutation(members)[: int(round(len(members) * 0.2))]] = True
    return mask


def _old_stratified(labels, fraction, seed):
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(labels), bool)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        k = int(round(len(members) * fraction))
        mask[rng.permutation(members)[: max(k, 1 if fraction > 0 and len(members) > 1 else 0)]] = True
    return mask


def test_folders_without_bursts_split_exactly_as_before():
    labels = np.random.default_rng(3).integers(0, 5, 997)  # (997,) shuffled classes, as a listing can be
    alone = burst_groups([f"c/{i}_photo.jpg" for i in range(len(labels))])
    assert len(np.unique(alone)) == len(labels)
    folder = np.zeros(len(labels), bool)
    assert np.array_equal(held_out_mask(labels, folder, alone), _old_held_out(labels))
    assert np.array_equal(held_out_mask(labels, folder), _old_held_out(labels))
    for seed in (0, 1, 7):
        assert np.array_equal(stratified_split(labels, 0.1, seed, alone), _old_stratified(labels, 0.1, seed))


def test_the_frames_of_a_burst_stay_on_one_side():
    files, labels = [], []
    for c, mug in enumerate(("mug", "cup")):
        for b in range(10):  # 10 bursts of 6 frames each
            files += [f"{mug}/{c:04x}{b:04x}-{f:06x}.jpg" for f in range(6)]
            labels += [c] * 6
    files += ["cup/IMG_0001.jpg", "cup/IMG_0002.jpg"]  # dropped files: each a burst of its own
    labels = np.array(labels + [1, 1])
    groups = burst_groups(files)
    assert burst_of(files[0]) == "00000000" and burst_of("cup/IMG_0001.jpg") is None
    assert len(np.unique(groups)) == 22
    load = SimpleNamespace(
        listing=SimpleNamespace(held_out=[False] * len(files)),
        kept=np.arange(len(files)),
        labels=lambda: labels,
        groups=lambda: groups,
    )
    split = split_photos(load, SimpleNamespace(limit=None, val_fraction=0.2), 0, False)
    side = np.empty(len(files), object)
    for name, idx in split.items():
        side[idx] = name
    for g in np.unique(groups):
        assert len(set(side[groups == g])) == 1, f"burst {g} was split across {set(side[groups == g])}"
    assert sorted(np.concatenate(list(split.values())).tolist()) == list(range(len(files)))
    ## whole bursts, as near 20% of each class's photos as they fit (12 of 60 and of 62), then 20% of the rest
    assert np.bincount(labels[split["test"]]).tolist() == [12, 12]
    val, rest = np.bincount(labels[split["val"]]), np.array([48, 50])
    assert (val <= 0.2 * rest + 0.5).all() and (val > 0.2 * rest - 6).all(), val  # within one burst of 20%


def test_one_big_burst_does_not_take_the_whole_held_out_share():
    files = [f"roses/0000abcd-{f:06x}.jpg" for f in range(11)] + [f"roses/phone_{i}.jpg" for i in range(3)]
    labels, groups = np.zeros(14, np.int64), burst_groups(files)
    held = held_out_mask(labels, np.zeros(14, bool), groups)
    assert held.sum() == 3 and not held[:11].any()  # 20% of 14 is 3: the three single photos, not the burst
    val = stratified_split(labels[:11], 0.2, 0, groups[:11])
    assert not val.any()  # one burst cannot be split into training and validation
    assert stratified_split(labels[:2], 0.1, 0, burst_groups(["a.jpg", "b.jpg"])).sum() == 1  # at least one


def test_a_runs_folder_is_not_a_class(tmp_path):
    (tmp_path / "mug").mkdir()
    (tmp_path / "mug" / "a.jpg").write_bytes(b"")
    (tmp_path / "runs" / "mug-1").mkdir(parents=True)
    (tmp_path / "runs" / "mug-1" / "curves.png").write_bytes(b"")
    assert find_classes(tmp_path) == ["mug"]
    (tmp_path / "runs" / "photo.jpg").write_bytes(b"")  # a class of photos that happens to be called runs
    assert find_classes(tmp_path) == ["mug", "runs"]
