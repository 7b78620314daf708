"""Which backbones' features, per folder, judged on photos no choice has seen: heads on lite0, lite1, lite2, side by side.

    python benchmarks/photos_backbones.py                                  # flowers and cats/dogs subsets
    python benchmarks/photos_backbones.py --folders catsdogs --views 2     # every cat and dog (~10 min cold)

The same folders and the same 5 stratified folds (seed 0) as benchmarks/photos_select.py. For fold k
the head (``training/transfer/head.py``: L2 and temperature chosen on a stratified 10% validation share of
the other folds, then refitted on all of them, as ``nnzero train photos`` does) is fitted on the
other folds' features and scores fold k's photos: over the 5 folds every photo is scored once by
a head that never saw it. Features are those of ``nnzero train photos`` (each backbone at 260 px,
the size efficientnet_lite012 feeds all three; the photo and its mirror), cached by each photo's
bytes in the usual cache, so a backbone's features are computed once for every folder.

Rows: each backbone alone, lite0 + lite2, and the three side by side (``efficientnet_lite012``),
trained on both views (the default) and, with ``--views 1``, on the photo alone (half the
extraction time). "acc": the photo alone (what `nnzero evaluate` reports); "tta": with its mirror.
Writes benchmarks/results/photos_backbones.json (``--append`` keeps the folders not redone).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from _common import RESULTS, machine, print_table, save
from photos_select import FOLDERS, FOLDS, photos_of

SIZE = 260
MEMBERS = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")
COMBOS = {
    "lite0": ("efficientnet_lite0",),
    "lite1": ("efficientnet_lite1",),
    "lite2": ("efficientnet_lite2",),
    "lite0+lite2": ("efficientnet_lite0", "efficientnet_lite2"),
    "lite012": MEMBERS,
}
COLUMNS = ["folder", "photos", "combo", "views", "acc", "acc tta", "logloss", "logloss tta", "head s"]


class Decoded:
    """Photos decoded at 260 px only when a batch of them is asked for (most come from the cache)."""

    def __init__(self, paths: list[str]):
        self.paths = paths

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index) -> np.ndarray:
        from nnzero.datasets.photos import decode_photo

        return np.stack([decode_photo(self.paths[i], SIZE) for i in np.atleast_1d(index)])  # (B, 3, S, S)


def features(paths: list[str]) -> dict[str, list[np.ndarray]]:
    """{backbone: [photo rows, mirror rows]} for these photos at 260 px, from the cache where it has them."""
    from pathlib import Path

    from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD, RESIZE
    from nnzero.models import create_model
    from nnzero.models.pretrained import weights_source
    from nnzero.training.transfer.features import cached_features

    cache = os.environ.get("NNZERO_CACHE_DIR") or Path.home() / ".cache" / "nnzero"
    out = {}
    for name in MEMBERS:
        model = create_model(name, 2, 3, SIZE, pretrained=True, freeze_backbone=True).eval()
        params = {"backbone": name, "weights": weights_source(name), "size": SIZE, "resize": RESIZE}
        feats = cached_features(model, params, Decoded(paths), paths, IMAGENET_MEAN, IMAGENET_STD, None,
                                cache_dir=cache, say=print)  # fmt: skip
        out[name] = [np.asarray(feats.views["photo"]), np.asarray(feats.views["mirror"])]
    return out


def folds_of(y: np.ndarray, k: int = FOLDS) -> np.ndarray:
    """The fold of each photo: a stratified, seeded (0) cut, as photos_select.py's folders."""
    rng = np.random.default_rng(0)
    fold = np.empty(len(y), int)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        fold[members[rng.permutation(len(members))]] = np.arange(len(members)) % k
    return fold


def score(feats: dict, y: np.ndarray, combo: tuple, views: int) -> dict:
    from nnzero.training.transfer.head import fit_head, nll
    from nnzero.training.transfer.split import stratified_split

    fold, classes = folds_of(y), len(np.unique(y))
    x = [np.concatenate([feats[m][v] for m in combo], 1) for v in (0, 1)]  # [(N, D) photo, mirror]
    p1, p2, seconds = np.zeros((len(y), classes)), np.zeros((len(y), classes)), 0.0
    for k in range(FOLDS):
        test, rest = np.flatnonzero(fold == k), np.flatnonzero(fold != k)
        val = rest[stratified_split(y[rest], 0.1, 0)]
        train = np.setdiff1d(rest, val)
        start = time.perf_counter()
        head = fit_head([v[train] for v in x[:views]], y[train], [v[val] for v in x[:views]], y[val], classes)
        seconds += time.perf_counter() - start
        p1[test], p2[test] = head.proba([x[0][test]]), head.proba([v[test] for v in x])
    return {"acc": float((p1.argmax(1) == y).mean()), "acc tta": float((p2.argmax(1) == y).mean()),
            "logloss": nll(p1, y), "logloss tta": nll(p2, y), "head s": round(seconds / FOLDS, 2)}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folders", default="flowers,flowers-3,flowers-50,catsdogs-150")
    ap.add_argument("--views", default="2", help="1, 2 or 1,2: the views the heads are trained on")
    ap.add_argument("--append", action="store_true")
    args = ap.parse_args()
    rows = []
    for name in args.folders.split(","):
        photos = photos_of(*FOLDERS[name], quick=False)
        paths = [str(p) for c in photos for p in photos[c]]
        y = np.concatenate([np.full(len(v), i) for i, v in enumerate(photos.values())])
        feats = features(paths)
        for views in [int(v) for v in args.views.split(",")]:
            for combo, members in COMBOS.items():
                rows.append({"folder": name, "photos": len(y), "combo": combo, "views": views}
                            | score(feats, y, members, views))  # fmt: skip
                print_table(rows[-1:], COLUMNS)
    path = RESULTS / "photos_backbones.json"
    if args.append and path.exists():
        done = {r["folder"] for r in rows}
        rows = [r for r in json.loads(path.read_text())["rows"] if r["folder"] not in done] + rows
    print()
    print_table(rows, COLUMNS)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(
        f"\nwritten: {save('photos_backbones', {'machine': machine(), 'load_average': load, 'rows': rows})}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
