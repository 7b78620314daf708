"""Which backbone, chosen without the test photos: 5-fold cross-validation of the head on cached features.

    python benchmarks/photos_cv.py                       # flowers and catsdogs/train, the three Lite backbones
    python benchmarks/photos_cv.py --sets flowers --models efficientnet_lite0,efficientnet_lite2

For each data set and backbone: the photos `nnzero train photos` trains and validates on (every photo
but the held-out test ones: the same stratified 20%, seed 0) are dealt into 5 stratified folds; the
head (training/transfer/head.py: L2 and temperature chosen on the held-out fold, no refit) is fitted on four
and scores the fifth, photo and mirror averaged. The mean log-loss over the folds picks the backbone;
no test photo is read. Features come from the feature cache (NNZERO_CACHE_DIR; computed once when
missing), so a rerun takes seconds. Writes benchmarks/results/photos_cv.json.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import SHARED, machine, print_table, save

SETS = {"flowers": SHARED / "data" / "flowers", "catsdogs": SHARED / "data" / "catsdogs" / "train"}
MODELS = "efficientnet_lite0,efficientnet_lite1,efficientnet_lite2"
FOLDS = 5


def folds(y: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """A fold number per photo: each class's photos shuffled, then dealt round-robin (stratified)."""
    rng, fold = np.random.default_rng(seed), np.empty(len(y), int)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        fold[idx] = np.arange(len(idx)) % k
    return fold


def cv_row(name: str, data_dir, model_name: str) -> dict:
    import torch

    from nnzero.config import DataConfig, ModelConfig
    from nnzero.models import create_model, model_entry
    from nnzero.training.transfer.fit import _features, _labelled_photos
    from nnzero.training.transfer.head import fit_head
    from nnzero.training.transfer.split import split_photos

    start, size = time.perf_counter(), model_entry(model_name).image_size
    load = _labelled_photos(str(data_dir), size, False, None)
    classes = len(load.listing.classes)
    split = split_photos(
        load, DataConfig(dataset="photos", data_dir=str(data_dir), image_size=size), 0, False
    )
    pool = np.concatenate([split["train"], split["val"]])  # every photo but the test ones
    torch.manual_seed(0)
    model = create_model(model_name, classes, 3, size, pretrained=True).eval()
    cfg = ModelConfig(
        name=model_name, pretrained=True, freeze_backbone=True, num_classes=classes, image_size=size
    )
    views = _features(model, cfg, size, load, {"pool": pool}, None, None, False)[0]["pool"]
    y, fold = load.labels()[pool], folds(load.labels()[pool], FOLDS)
    scores = []
    for k in range(FOLDS):
        fit, held = fold != k, fold == k
        head = fit_head(
            [v[fit] for v in views], y[fit], [v[held] for v in views], y[held], classes, refit=False
        )
        scores.append((head.val["log_loss"], head.val["accuracy"]))
    losses, accs = zip(*scores)
    return {
        "data": name,
        "model": model_name,
        "photos": len(y),
        "cv log-loss": round(float(np.mean(losses)), 5),
        "cv acc": round(float(np.mean(accs)), 5),
        "folds": [round(x, 5) for x in losses],
        "wall s": round(time.perf_counter() - start, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="flowers,catsdogs")
    ap.add_argument("--models", default=MODELS)
    args = ap.parse_args()
    unknown = sorted(set(args.sets.split(",")) - set(SETS))
    if unknown:
        ap.error(f"unknown set(s) {', '.join(unknown)}; choose from {', '.join(SETS)}")
    rows = [cv_row(s, SETS[s], m) for s in args.sets.split(",") for m in args.models.split(",")]
    for s in args.sets.split(","):
        best = min((r for r in rows if r["data"] == s), key=lambda r: r["cv log-loss"])
        best["chosen"] = True
    print_table(rows, ["data", "model", "photos", "cv log-loss", "cv acc", "chosen", "wall s"])
    path = save("photos_cv", {"machine": machine(), "folds": FOLDS, "rows": rows})
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
