"""Your own photo classes: `nnzero train photos` per backbone, on flowers and cats vs dogs, in one run.

    python benchmarks/photos.py                                  # ../shared/data/flowers and catsdogs/train
    python benchmarks/photos.py --sets flowers --models efficientnet_lite0
    python benchmarks/photos.py --quick                          # 20 photos a class: checks the script only
    python benchmarks/photos.py --only-fine-tune --append        # only the fine-tuned rows, kept beside the rest

Each row is one whole `nnzero train photos --json` command, its wall time measured from outside
(model "default": no --model and no --fine-tune, the command as a user first runs it; its row
records what it chose for the folder and why, and with --submit a cats/dogs default is followed
by `nnzero submit --tta` on its held-out photos, linked into a folder of their own):
"cold" starts from an empty cache (decoding the photos and computing every feature is part of
it), "warm" is a second run with other head settings (--seed 1: another validation split, so
other L2 and temperature) on the cached features. Accuracy and log-loss are on the held-out
photos (a stratified 20% of each class, seed 0), which chose nothing: "acc" is the photo
alone (what `nnzero evaluate` reports), "acc tta" / "logloss tta" average it with its mirror
image (what `nnzero submit --tta` does), "submit logloss" adds the clip chosen on validation.
images/s: backbone passes per second while computing features (each view counts).
"fine-tuned cold": `--fine-tune` (the last blocks trained after the head, docs/photos.md) from an
empty cache; its images/s is that of the frozen blocks' activations, "ft img/s" that of the
fine-tuning epochs, "kept" says whether validation kept the fine-tuned weights or the head alone.
"from scratch": the course's case 3, `nnzero train catsdogs` (resnet_small, trained from random
weights) for each --scratch-epochs; its settings are chosen on the validation photos alone (the
row with the best validation accuracy is marked "chosen"), the test photos score every row.
The baseline row: the course's LeNet program (../shared/baselines/course_catsdogs_lenet.py,
10 epochs, its own 80/20 split), cats and dogs only. Writes benchmarks/results/photos.json.
Targets (2-core CPU): flowers >= 92% in <= 5 min cold; cats/dogs log-loss <= 0.020 and
accuracy >= 99.5% in <= 10 min cold; the warm head fit <= 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from _common import BASELINES, RESULTS, SHARED, machine, nnzero, print_table, run_json, save

SETS = {"flowers": SHARED / "data" / "flowers", "catsdogs": SHARED / "data" / "catsdogs" / "train"}
MODELS = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")
COLUMNS = [
    "data",
    "model",
    "run",
    "acc",
    "logloss",
    "acc tta",
    "logloss tta",
    "submit logloss",
    "wall s",
    "images/s",
    "head s",
    "kept",
    "ft img/s",
]

SCRATCH_COLUMNS = ["data", "model", "run", "val acc", "best epoch", "chosen", "acc", "logloss", "wall s"]


def quick_copy(src: Path, root: Path, n: int) -> Path:
    """--quick: n photos of each class, linked (class folders or Kaggle names)."""
    out = root / src.name
    out.mkdir(parents=True)
    if any(src.glob("cat.*.jpg")):
        for c in ("cat", "dog"):
            for f in sorted(src.glob(f"{c}.*.jpg"))[:n]:
                (out / f.name).symlink_to(f)
        return out
    for d in sorted(p for p in src.iterdir() if p.is_dir()):
        (out / d.name).mkdir()
        for f in sorted(d.iterdir())[:n]:
            (out / d.name / f.name).symlink_to(f)
    return out


def photos_for(name: str, quick: bool, root: Path) -> Path:
    """The shared data set, or with --quick a linked copy of 20 photos a class under ``root``."""
    return quick_copy(SETS[name], root, 20) if quick else SETS[name]


def train_row(name: str, data: Path, model: str, cache: Path, runs: Path, run: str, *extra: str) -> dict:
    """One whole `nnzero train photos` command; ``model`` "default": no --model, no --fine-tune (the
    default backbone, and the default's own choice of fine-tuning, recorded with its reasons)."""
    cmd = nnzero("train", "photos", "--data-dir", str(data), "--runs-dir", str(runs))
    cmd += [] if model == "default" else ["--model", model]
    result = run_json(
        cmd + ["--name", f"{name}-{model}-{run}", "--json", *extra], env={"NNZERO_CACHE_DIR": str(cache)}
    )
    feats, tuned = result["features"], result.get("fine_tune") or {}
    params = feats["params"].get("members", [feats["params"]])  # efficientnet_lite012: one per backbone
    backbone = "+".join(p["backbone"].removeprefix("efficientnet_") for p in params)
    return {
        "data": name,
        "model": model if model != "default" else f"default ({backbone})",
        "run": run,
        "choice": result.get("choice"),
        "precision": params[0].get("precision", "fp32"),
        "checkpoint": result.get("checkpoint"),
        "acc": result.get("test_accuracy"),
        "logloss": result.get("test_loss"),
        "acc tta": result.get("test_accuracy_tta"),
        "logloss tta": result.get("test_loss_tta"),
        "submit logloss": result.get("test_log_loss_submit"),
        "wall s": result["wall_seconds"],
        "images/s": tuned["activations"]["images_per_s"] if tuned else feats["images_per_s"],
        "head s": result["head_seconds"],
        "kept": tuned.get("kept"),
        "ft img/s": tuned.get("images_per_s"),
        "fine_tune": tuned or None,
        "features computed": feats["computed"],
        "calibration": result["calibration"],
        "val_accuracy": result.get("val_accuracy"),
        "l2_grid": result.get("l2_grid"),
    }


def held_out_folder(data: Path, root: Path) -> Path:
    """Links to the photos every `nnzero train photos` run on ``data`` holds out (its test photos)."""
    import numpy as np

    from nnzero.datasets.bursts import burst_groups
    from nnzero.datasets.layouts import find_photos
    from nnzero.datasets.photos import held_out_mask

    listing = find_photos(data)
    groups = burst_groups(list(listing.files))  # frames of one capture burst are held out together
    mask = held_out_mask(np.asarray(listing.labels), np.asarray(listing.held_out, bool), groups)
    root.mkdir(parents=True)
    for f in np.asarray(listing.files)[mask]:
        (root / Path(f).name).symlink_to(Path(listing.root) / f)
    return root


def submit_row(name: str, checkpoint: str, data: Path, tmp: Path) -> dict:
    """`nnzero submit --tta` of a run's checkpoint on its held-out photos (labelled: log-loss and accuracy)."""
    folder = held_out_folder(data, tmp / f"held-out-{name}")
    cmd = nnzero("submit", checkpoint, str(folder), "--tta", "--out", str(tmp / f"{name}.csv"), "--json")
    result = run_json(cmd)
    return {
        "data": name,
        "model": "`nnzero submit --tta` of the default",
        "run": f"{result['rows']} held-out photos",
        "acc tta": result["accuracy"],
        "submit logloss": result["log_loss"],
        "wall s": result["wall_seconds"],
        "precision": result.get("precision"),
    }


def scratch_row(data: Path, epochs: int, cache: Path, runs: Path, seed: int = 0) -> dict:
    """`nnzero train catsdogs` (resnet_small from scratch) for ``epochs``, from an empty decode cache;
    ``seed`` seeds the weights, the batches and the validation split (the test photos stay the same)."""
    cmd = nnzero(
        "train", "catsdogs", "--data-dir", str(data), "--runs-dir", str(runs), "--epochs", str(epochs)
    )
    cmd += ["--seed", str(seed), "--name", f"scratch-{epochs}-{seed}", "--json"]
    result = run_json(cmd, env={"NNZERO_CACHE_DIR": str(cache)})
    return {
        "data": "catsdogs",
        "model": "resnet_small (from scratch)",
        "run": f"{epochs} epochs" + (f", seed {seed}" if seed else ""),
        "epochs": epochs,
        "seed": seed,
        "val acc": result.get("val_accuracy"),
        "best epoch": result.get("epoch"),
        "acc": result.get("test_accuracy"),
        "logloss": result.get("test_loss"),
        "wall s": result["wall_seconds"],
    }


def is_scratch(row: dict) -> bool:
    return "val acc" in row  # only the from-scratch rows report the validation accuracy they chose by


def mark_chosen(rows: list[dict]) -> None:
    """The from-scratch epoch count with the best mean validation accuracy over the seeds that every
    epoch count was run with (each seed draws its own validation photos, so only paired seeds compare):
    the only choice, made without the test photos."""
    scratch = [r for r in rows if is_scratch(r)]
    if not scratch:
        return
    epochs_of = {id(r): r.get("epochs") or int(r["run"].split()[0]) for r in scratch}
    seeds: dict[int, dict[int, float]] = {}
    for r in scratch:
        seeds.setdefault(epochs_of[id(r)], {})[r.get("seed", 0)] = r["val acc"] or 0
    common = set.intersection(*(set(v) for v in seeds.values()))
    best = max(seeds, key=lambda e: sum(seeds[e][s] for s in common) / max(1, len(common)))
    for r in scratch:
        r["chosen"] = epochs_of[id(r)] == best


def lenet_row(data: Path, epochs: int) -> dict:
    result = run_json(
        [sys.executable, str(BASELINES / "course_catsdogs_lenet.py"), str(data)], env={"EPOCHS": str(epochs)}
    )
    last = result["history"][-1]
    return {
        "data": "catsdogs",
        "model": "course LeNet (baseline)",
        "run": f"{epochs} epochs",
        "acc": last["val_accuracy"],
        "logloss tta": None,
        "submit logloss": last["val_logloss"],
        "wall s": result["wall_seconds"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="flowers,catsdogs")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument(
        "--catsdogs-models", default="efficientnet_lite0,efficientnet_lite2", help="backbones for cats/dogs"
    )
    ap.add_argument("--no-warm", action="store_true", help="skip the warm-cache rows")
    ap.add_argument("--skip-lenet", action="store_true")
    ap.add_argument(
        "--fine-tune", type=int, default=8, metavar="EPOCHS", help="epochs of the fine-tuned rows (0: none)"
    )
    ap.add_argument(
        "--submit",
        action="store_true",
        help="after a cold cats/dogs row: `nnzero submit --tta` on its test photos",
    )
    ap.add_argument("--only-fine-tune", action="store_true", help="skip the frozen rows")
    ap.add_argument(
        "--scratch-epochs",
        default="",
        metavar="E1,E2",
        help="from-scratch resnet_small rows on cats/dogs, one per epoch count (e.g. 100,200; default none)",
    )
    ap.add_argument("--scratch-seeds", default="0", metavar="S1,S2", help="seeds of each from-scratch row")
    ap.add_argument(
        "--only-scratch", action="store_true", help="only the from-scratch rows (with --scratch-epochs)"
    )
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--append", action="store_true", help="keep the rows of photos.json that this run does not redo"
    )
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="nnzero-photos-bench-") as tmp:
        tmp = Path(tmp)
        for name in [] if args.only_scratch else args.sets.split(","):
            data = photos_for(name, args.quick, tmp / "quick")
            models = args.catsdogs_models if name == "catsdogs" else args.models
            for model in models.split(","):
                cache = tmp / f"cache-{name}-{model}"  # cold: nothing cached for this backbone
                if not args.only_fine_tune:
                    rows.append(train_row(name, data, model, cache, tmp / "runs", "cold"))
                    print_table(rows[-1:], COLUMNS)
                    if args.submit and name == "catsdogs":
                        rows.append(submit_row(name, rows[-1]["checkpoint"], data, tmp / model))
                        print_table(rows[-1:], COLUMNS)
                if not (args.no_warm or args.only_fine_tune):
                    rows.append(train_row(name, data, model, cache, tmp / "runs", "warm", "--seed", "1"))
                if args.fine_tune:
                    tuned = ("--fine-tune", str(args.fine_tune))
                    cache = tmp / f"cache-{name}-{model}-fine-tune"  # cold as well
                    rows.append(train_row(name, data, model, cache, tmp / "runs", "fine-tuned cold", *tuned))
                    print_table(rows[-1:], COLUMNS)
        for epochs in [int(e) for e in args.scratch_epochs.split(",") if e]:
            for seed in [int(s) for s in args.scratch_seeds.split(",")]:
                data = photos_for("catsdogs", args.quick, tmp / f"quick-scratch-{epochs}-{seed}")
                cache = tmp / f"cache-scratch-{epochs}-{seed}"
                rows.append(scratch_row(data, 1 if args.quick else epochs, cache, tmp / "runs", seed))
                print_table(rows[-1:], SCRATCH_COLUMNS)
        if "catsdogs" in args.sets and not (args.skip_lenet or args.only_scratch):
            data = photos_for("catsdogs", args.quick, tmp / "quick-lenet")
            rows.append(lenet_row(data, 1 if args.quick else 10))
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    here = machine()
    if args.append and (RESULTS / "photos.json").exists():
        old = json.loads((RESULTS / "photos.json").read_text())
        done = {(r["data"], r["model"], r["run"]) for r in rows}
        rows = [r for r in old["rows"] if (r["data"], r["model"], r["run"]) not in done] + rows
        load = {"earlier": old.get("load_average"), "now": load}
        here = {"earlier": old.get("machine"), "now": here}
    mark_chosen(rows)
    print()
    scratch = [r for r in rows if is_scratch(r)]
    for table, columns in ([r for r in rows if not is_scratch(r)], COLUMNS), (scratch, SCRATCH_COLUMNS):
        if table:
            print_table(table, columns)
            print()
    path = save("photos", {"machine": here, "load_average": load, "quick": args.quick, "rows": rows})
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
