"""Cats vs dogs: nnzero against the course's LeNet program, in one run, on the same held-out 20%.

    python benchmarks/catsdogs.py                       # ../shared/data/catsdogs/train, everything
    python benchmarks/catsdogs.py DIR --skip lenet      # another Kaggle-layout folder; leave rows out
    python benchmarks/catsdogs.py DIR --quick           # one epoch each: checks the script, measures nothing

The course program (course_catsdogs_lenet.py) splits the photos 80/20 with torch's
random_split(seed 0). This script rebuilds exactly that split as linked folders, train/ and
test/, so every nnzero model trains on the same 80% (--val-fraction 0: no photo is spent on
validation) and is scored on the same 20% the course program validates on. Rows: the course
program; nnzero's lenet (the course's model and settings); the from-scratch default; and
efficientnet_lite0 transfer learning. Each nnzero row's wall time is measured from outside
and includes decoding the photos into a fresh cache (--no-cache-reuse is the default here).

The input pipeline: images/s delivered to the model in an epoch, on one core. The course
program's is measured by running its own Dataset/DataLoader code (num_workers=0) for one epoch
without a model; nnzero's is a pass of uint8 batch -> float -> augmentation -> normalisation
from the cache, at the model's size. nnzero's first run also pays the one-time decode (its
photos/s are reported separately, decoded with one process per core).
Prints a table, writes benchmarks/results/catsdogs.json. Targets (2 CPU cores): the default
>= 85% in <= 20 minutes; efficientnet_lite0 >= 97% in <= 5 minutes; input >= 10x the course's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import BASELINES, REPO, SHARED, machine, nnzero, print_table, run_json, save

MODELS = {"lenet": [], "resnet_small": [], "efficientnet_lite0": []}  # extra flags per nnzero model


def course_split(train_dir: Path) -> tuple[list[Path], list[Path]]:
    """The course program's files and its random_split(80/20, seed 0), reproduced with torch itself."""
    import torch
    from torch.utils.data import random_split

    files = sorted(p for p in train_dir.glob("*.jpg") if p.name.split(".")[0] in ("cat", "dog"))
    n_val = len(files) // 5
    train, val = random_split(
        range(len(files)), [len(files) - n_val, n_val], torch.Generator().manual_seed(0)
    )
    return [files[i] for i in train], [files[i] for i in val]


def link_tree(root: Path, train: list[Path], test: list[Path]) -> Path:
    """root/train/ and root/test/ as symbolic links: nnzero takes a labelled test/ as its held-out set."""
    for name, files in (("train", train), ("test", test)):
        (root / name).mkdir(parents=True)
        for f in files:
            (root / name / f.name).symlink_to(f)
    return root


def course_input_rate(train_dir: Path) -> float:
    """Images/s of the course program's input pipeline: its Dataset and DataLoader, one epoch, no model."""
    import torch
    from PIL import Image
    from torch.utils.data import DataLoader
    from torchvision import transforms

    files = sorted(p for p in train_dir.glob("*.jpg") if p.name.split(".")[0] in ("cat", "dog"))
    tf = transforms.Compose([transforms.Resize((64, 64)), transforms.ToTensor()])

    class KagglePhotos(torch.utils.data.Dataset):  # as in course_catsdogs_lenet.py
        def __len__(self):
            return len(files)

        def __getitem__(self, i):
            return tf(Image.open(files[i]).convert("RGB")), int(files[i].name.startswith("dog"))

    start, seen = time.perf_counter(), 0
    for x, _ in DataLoader(KagglePhotos(), batch_size=64, shuffle=True):
        seen += len(x)
    return seen / (time.perf_counter() - start)


def nnzero_input_rate(data_dir: Path, size: int, augment: bool) -> dict:
    """Images/s nnzero's input pipeline delivers from the cache: uint8 batch -> float -> [augment] -> normalise,
    as the run itself did (lenet trains without augmentation, as the course does: the like-for-like row)."""
    import torch

    from nnzero.datasets.photos import load_photos
    from nnzero.training.augment import augment_photos
    from nnzero.training.loop import TensorData

    start = time.perf_counter()
    data = load_photos(data_dir, "train", size)  # a cache hit: the training runs decoded already
    load_seconds = time.perf_counter() - start
    tensors = TensorData.from_imageset(data, torch.device("cpu"))
    torch.set_num_threads(1)  # one core, as the course's DataLoader (num_workers=0) uses
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    order = torch.randperm(len(tensors))
    for first in range(0, len(order), 64):
        tensors.batch(order[first : first + 64], augment_photos if augment else None, gen)
    return {
        "cached_load_seconds": round(load_seconds, 2),
        "images_per_s": round(len(order) / (time.perf_counter() - start), 1),
    }


def decode_rate(cache: Path, size: int) -> dict:
    """The one-time preparation, from the cache entry's own record: photos decoded per second."""
    for meta in cache.glob("*.json"):
        info = json.loads(meta.read_text())
        if info.get("shape", [0, 0, 0])[2:3] == [size] and "decode_seconds" in info:
            return {
                "decode_seconds": info["decode_seconds"],
                "decode_images_per_s": round(info["shape"][0] / info["decode_seconds"], 1),
            }
    return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train_dir", nargs="?", default=str(SHARED / "data" / "catsdogs" / "train"))
    parser.add_argument(
        "--skip", action="append", default=[], help="course lenet resnet_small efficientnet_lite0"
    )
    parser.add_argument("--quick", action="store_true", help="one epoch per program: checks the script only")
    args = parser.parse_args()
    train_dir = Path(args.train_dir)
    tmp = Path(tempfile.mkdtemp(prefix="nnzero-bench-catsdogs-"))
    env = {"NNZERO_CACHE_DIR": str(tmp / "cache"), "PYTHONPATH": str(REPO / "src")}
    os.environ.update(env)
    sys.path.insert(0, str(REPO / "src"))
    train, test = course_split(train_dir)
    data = link_tree(tmp / "data", train, test)
    load = [os.getloadavg()[0]]
    rows, details = [], {"train_photos": len(train), "held_out_photos": len(test)}

    if "course" not in args.skip:
        course = run_json(
            [sys.executable, str(BASELINES / "course_catsdogs_lenet.py"), str(train_dir)],
            {"EPOCHS": "1"} if args.quick else None,
        )
        last = course["history"][-1]
        rate = course_input_rate(train_dir)
        rows.append(
            {
                "program": "course LeNet (DataLoader, decodes every epoch)",
                "epochs": course["epochs"],
                "held_out_accuracy": last["val_accuracy"],
                "log_loss": last["val_logloss"],
                "wall_seconds": course["wall_seconds"],
                "input_images_per_s": round(rate, 1),
            }
        )
        details["course"] = course
        load.append(os.getloadavg()[0])

    for model, flags in MODELS.items():
        if model in args.skip:
            continue
        train_args = ["--data-dir", str(data), "--model", model, "--val-fraction", "0", "--name", model]
        train_args += ["--runs-dir", str(tmp / "runs"), "--json", "--quiet", *flags]
        train_args += ["--epochs", "1"] if args.quick else []
        out = run_json(nnzero("train", "catsdogs", *train_args), env)
        config = json.loads((Path(out["run_dir"]) / "config.json").read_text())
        size, epochs = config["data"]["image_size"], config["train"]["epochs"]
        submission = str(tmp / f"{model}.csv")
        submit_args = [out["checkpoint"], str(data / "test"), "--tta", "--clip", "0", "--out", submission]
        tta = run_json(nnzero("submit", *submit_args, "--json"), env)
        augment = config["data"]["augment"]
        pipe = nnzero_input_rate(data, size, augment) | decode_rate(tmp / "cache", size)
        rows.append(
            {
                "program": f"nnzero {model} ({size} px{', augmented' if augment else ''})",
                "epochs": epochs,
                "held_out_accuracy": round(out["test_accuracy"], 4),
                "log_loss": round(out["test_loss"], 4),
                "tta_accuracy": tta["accuracy"],
                "tta_log_loss": tta["log_loss"],
                "wall_seconds": out["wall_seconds"],
                "train_seconds": out["seconds"],
                "input_images_per_s": pipe["images_per_s"],
            }
        )
        details[model] = {"train": out, "submit_tta": tta, "input": pipe}
        load.append(os.getloadavg()[0])

    print_table(
        rows,
        [
            "program",
            "epochs",
            "held_out_accuracy",
            "log_loss",
            "tta_accuracy",
            "tta_log_loss",
            "wall_seconds",
            "input_images_per_s",
        ],
    )
    by_name = {r["program"].split(" (")[0]: r for r in rows}
    if "course LeNet" in by_name and "nnzero lenet" in by_name:
        ## The same work on both sides: 64 px photos, no augmentation, one core.
        speedup = (
            by_name["nnzero lenet"]["input_images_per_s"] / by_name["course LeNet"]["input_images_per_s"]
        )
        details["input_speedup_like_for_like"] = round(speedup, 1)
        print(f"input pipeline, 64 px without augmentation on one core: nnzero {speedup:.1f}x the course's")
    print(
        f"load average (1 min) during the run: {', '.join(f'{v:.1f}' for v in load)} on {os.cpu_count()} cores"
    )
    if args.quick:
        return
    path = save("catsdogs", {"machine": machine(), "load_average": load, "rows": rows, "details": details})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
