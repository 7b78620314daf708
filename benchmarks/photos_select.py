"""The default's choice checked on photos no choice has seen: `nnzero train photos` on the folds of several folders.

    python benchmarks/photos_select.py                              # every folder below, 5 folds each
    python benchmarks/photos_select.py --folders flowers,flowers-3 --append
    python benchmarks/photos_select.py --folders catsdogs --folds 0 --append   # one fold: a piece of CPU time
    python benchmarks/photos_select.py --quick                      # 12 photos a class, 2 folds: checks the script

What it checks: ``nnzero train photos`` left to itself chooses, per folder, between the head alone
and the head then fine-tuning the last 2 blocks (``training/transfer/recipe.py``, a rule fixed before this
check ran). Is that choice the right one on photos it never saw?

For each folder (flowers, cats and dogs, and subsets of them by class and by size) the photos are
cut into 5 stratified folds (seed 0). For fold k, a folder of links is made with fold k as a
labelled ``test/`` beside ``train/`` (the rest): the command holds those test photos out, takes
its validation photos from ``train/``, chooses there, and is scored on ``test/``. It runs twice
on each fold: as the default (which records its choice) and with the other choice forced
(``--fine-tune 0`` or ``--fine-tune 8``). Over the 5 folds every photo of the folder is scored
once by a model that never saw it, by each choice: the table gives accuracy (the photo alone,
what `nnzero evaluate` reports; with its mirror, what `submit --tta` does) and log-loss, pooled
over the folds, for the head, fine-tuning, the default's choice, and the better of the two
(known only afterwards, from the test photos: the most any rule could get).

Features and fine-tuning's activations are cached by each photo's bytes (``--cache``, shared by
the folds and both runs); each fold folder's decoded photos are removed after it. Writes
benchmarks/results/photos_select.json (``--append`` keeps the rows of folds not redone).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from _common import RESULTS, SHARED, machine, nnzero, print_table, run_json, save

FLOWERS = SHARED / "data" / "flowers"
CATSDOGS = SHARED / "data" / "catsdogs" / "train"
## name: (source, classes or None for all, photos per class or None for all)
FOLDERS = {
    "flowers": (FLOWERS, None, None),
    "flowers-3": (FLOWERS, ("roses", "sunflowers", "tulips"), None),
    "flowers-50": (FLOWERS, None, 50),
    "catsdogs": (CATSDOGS, None, None),
    "catsdogs-150": (CATSDOGS, None, 150),
}
FOLDS = 5
FINE_TUNE = "8"  # the epochs the default fine-tunes for (training/transfer/recipe.py FINE_TUNE_EPOCHS)
COLUMNS = ["folder", "photos", "chose FT", "head", "fine-tune", "default", "best of two", "default tta",
           "head ll", "fine-tune ll", "default ll"]  # fmt: skip


def photos_of(source: Path, classes, per_class, quick: bool) -> dict[str, list[Path]]:
    """{class: photo paths}, in a fixed order; a subset is a seeded draw (seed 0) of each class."""
    if any(source.glob("cat.*.jpg")):
        found = {c: sorted(source.glob(f"{c}.*.jpg")) for c in ("cat", "dog")}
    else:
        found = {d.name: sorted(d.iterdir()) for d in sorted(source.iterdir()) if d.is_dir()}
    found = {c: v for c, v in found.items() if classes is None or c in classes}
    n = 12 if quick else per_class
    rng = np.random.default_rng(0)
    return {c: [v[i] for i in sorted(rng.permutation(len(v))[:n])] if n else v for c, v in found.items()}


def fold_folder(photos: dict[str, list[Path]], k: int, folds: int, root: Path) -> Path:
    """Links: fold k of each class (a seeded stratified cut) in test/, the rest in train/."""
    rng = np.random.default_rng(0)
    for c, paths in photos.items():
        fold_of = np.empty(len(paths), int)
        fold_of[rng.permutation(len(paths))] = np.arange(len(paths)) % folds
        for p, f in zip(paths, fold_of):
            split = "test" if f == k else "train"
            ## Kaggle's flat names keep their layout; class folders keep theirs
            dst = root / split / p.name if p.parent.name not in photos else root / split / c / p.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(p)
    return root


def train(folder: Path, runs: Path, name: str, cache: Path, *extra: str) -> dict:
    cmd = nnzero("train", "photos", "--data-dir", str(folder), "--runs-dir", str(runs), "--name", name)
    result = run_json(cmd + ["--quiet", "--json", *extra], env={"NNZERO_CACHE_DIR": str(cache)})
    tuned = result.get("fine_tune") or {}
    return {
        "acc": result["test_accuracy"],
        "acc_tta": result["test_accuracy_tta"],
        "loss": result["test_loss"],
        "loss_tta": result["test_loss_tta"],
        "n": None,
        "kept": tuned.get("kept"),
        "wall_s": result["wall_seconds"],
        "choice": result.get("choice"),
        "features_computed": result["features"]["computed"],
    }


def run_fold(name: str, photos: dict, k: int, folds: int, cache: Path, tmp: Path) -> dict:
    folder = fold_folder(photos, k, folds, tmp / f"{name}-fold{k}")
    runs = tmp / "runs"
    default = train(folder, runs, f"{name}-{k}-default", cache)
    chose = bool(default["choice"]["fine_tune"])
    other = train(folder, runs, f"{name}-{k}-other", cache, "--fine-tune", "0" if chose else FINE_TUNE)
    n = sum(1 for _ in (folder / "test").rglob("*.jpg"))
    for r in (default, other):
        r["n"] = n
    _drop_decoded(cache)
    shutil.rmtree(folder)
    head, tuned = (other, default) if chose else (default, other)
    return {
        "folder": name,
        "fold": k,
        "photos": n,
        "chose_fine_tune": chose,
        "head": head,
        "fine_tune": tuned,
    }


def _drop_decoded(cache: Path) -> None:
    """A fold folder's decoded photos are of no use to the next fold (its paths differ): remove them."""
    for f in cache.iterdir():
        if f.is_file() and not f.name.startswith("features-"):
            f.unlink()


def summary(rows: list[dict]) -> list[dict]:
    """Per folder: accuracy and log-loss pooled over its folds (each photo scored once)."""
    out = []
    for name in dict.fromkeys(r["folder"] for r in rows):
        mine = [r for r in rows if r["folder"] == name]
        n = np.array([r["photos"] for r in mine], float)

        def pooled(pick, key, n=n, mine=mine):
            return float(np.dot(n, [pick(r)[key] for r in mine]) / n.sum())

        chosen = lambda r: r["fine_tune"] if r["chose_fine_tune"] else r["head"]  # noqa: E731
        best = lambda r: max(r["head"], r["fine_tune"], key=lambda s: s["acc"])  # noqa: E731
        out.append(
            {
                "folder": name,
                "folds": len(mine),
                "photos": int(n.sum()),
                "chose FT": f"{sum(r['chose_fine_tune'] for r in mine)}/{len(mine)}",
                "head": pooled(lambda r: r["head"], "acc"),
                "fine-tune": pooled(lambda r: r["fine_tune"], "acc"),
                "default": pooled(chosen, "acc"),
                "best of two": pooled(best, "acc"),
                "default tta": pooled(chosen, "acc_tta"),
                "head ll": pooled(lambda r: r["head"], "loss"),
                "fine-tune ll": pooled(lambda r: r["fine_tune"], "loss"),
                "default ll": pooled(chosen, "loss"),
            }
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folders", default=",".join(FOLDERS))
    ap.add_argument("--folds", default="", metavar="K1,K2", help="only these folds (default: all)")
    ap.add_argument("--cache", default="", help="feature cache shared by the runs (default: a temporary one)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--append", action="store_true", help="keep the rows of photos_select.json not redone")
    args = ap.parse_args()
    folds = 2 if args.quick else FOLDS
    which = [int(k) for k in args.folds.split(",") if k] or list(range(folds))
    rows = []
    with tempfile.TemporaryDirectory(prefix="nnzero-select-") as tmp:
        tmp = Path(tmp)
        cache = Path(args.cache) if args.cache else tmp / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        for name in args.folders.split(","):
            photos = photos_of(*FOLDERS[name], args.quick)
            for k in which:
                rows.append(run_fold(name, photos, k, folds, cache, tmp))
                r = rows[-1]
                print(f"{name} fold {k}: chose fine-tune {r['chose_fine_tune']}; head {r['head']['acc']:.4f}, "
                      f"fine-tune {r['fine_tune']['acc']:.4f} ({r['photos']} test photos)", flush=True)  # fmt: skip
    path = RESULTS / "photos_select.json"
    if args.append and path.exists():
        done = {(r["folder"], r["fold"]) for r in rows}
        rows = [
            r for r in json.loads(path.read_text())["rows"] if (r["folder"], r["fold"]) not in done
        ] + rows
    table = summary(rows)
    print()
    print_table(table, COLUMNS)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    out = save("photos_select", {"machine": machine(), "load_average": load, "quick": args.quick,
                                 "summary": table, "rows": rows})  # fmt: skip
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
