"""The course's case 3 from scratch (`nnzero train catsdogs`, resnet_small): candidates over seeds, chosen on validation.

    python benchmarks/catsdogs_scratch.py --candidate s100= --seeds 0,1        # the default, two seeds
    python benchmarks/catsdogs_scratch.py --candidate "c80e150=--epochs 150 --set data.crop_size=80" --seeds 0,1
    python benchmarks/catsdogs_scratch.py --collect                            # the table of every run so far

Runs longer than a turn on the shared CPU (``--budget``) are interrupted and resumed by the next
call (``--resume``: the same weights as an uninterrupted run). Each run is the whole `nnzero train catsdogs` command on ../shared/data/catsdogs/train with the
candidate's arguments and ``--seed S`` (which seeds the weights, the batches, the augmentation and
the validation split: 258 photos). Two runs go at once, one core each (``taskset``), so a pair of
seeds costs the time of one run on two cores: their wall times are those of a one-core run, not
of the command on two cores (time the chosen one alone with benchmarks/photos.py --scratch).

What the choice may look at: the validation photos, as the best epoch's accuracy (what best.pt is
kept by; the maximum of many epochs, so it flatters long runs) and as the mean over the last tenth
of the epochs (no maximum taken). The 646 test photos (nnzero's fixed 20%) score best.pt and
last.pt of every run and choose nothing. Writes benchmarks/results/catsdogs_scratch.json, merging
with the runs already there (a run is identified by candidate and seed).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import REPO, RESULTS, SHARED, machine, print_table, save

DATA = SHARED / "data" / "catsdogs" / "train"
COLUMNS = [
    "candidate",
    "runs",
    "val best",
    "val last10%",
    "test best.pt",
    "test last.pt",
    "min test",
    "s/epoch",
]


def start(name: str, args: str, seed: int, runs: Path, core: int, budget: int) -> subprocess.Popen | None:
    """One run on one core (None if it finished already); an interrupted one is resumed where it stopped.
    After ``budget`` seconds it is interrupted (Ctrl-C: last.pt keeps everything) for a later call."""
    folder = runs / f"{name}-seed{seed}"
    if (folder / "report.html").exists():
        return None
    cmd = [sys.executable, "-m", "nnzero", "train", "catsdogs", "--quiet", "--json"]
    if (folder / "last.pt").exists():
        cmd += ["--resume", str(folder)]
    else:
        cmd += ["--data-dir", str(DATA), "--runs-dir", str(runs), "--name", folder.name, "--seed", str(seed)]
        cmd += args.split()
    cmd = ["timeout", "-s", "INT", str(budget), *cmd] if budget else cmd
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}  # the photos decoded once, into the usual cache
    log = open(runs / f"{folder.name}.log", "a")
    return subprocess.Popen(["taskset", "-c", str(core), *cmd], stdout=log, stderr=subprocess.STDOUT,
                            env=env, cwd=REPO)  # fmt: skip


def test_of(checkpoint: Path) -> dict:
    """`nnzero evaluate --json` of a checkpoint on its 646 test photos."""
    out = subprocess.run([sys.executable, "-m", "nnzero", "evaluate", str(checkpoint), "--json"],
                         capture_output=True, text=True, check=True, cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO / "src")})  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {"accuracy": result["test_accuracy"], "log_loss": result["log_loss"]}


def collect(run: Path) -> dict | None:
    """One finished run folder -> its row (None if it has not finished)."""
    if not (run / "best.pt").exists() or not (run / "report.html").exists():
        return None
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    val = np.array([float(r["val_accuracy"]) for r in rows])
    config = json.loads((run / "config.json").read_text())
    tail = max(1, len(val) // 10)
    name, _, seed = run.name.rpartition("-seed")
    return {
        "candidate": name,
        "seed": int(seed),
        "epochs": len(rows),
        "best_epoch": int(np.argmax(val)) + 1,
        "val_best": float(val.max()),
        "val_last10": float(val[-tail:].mean()),
        "test_best": test_of(run / "best.pt"),
        "test_last": test_of(run / "last.pt"),
        "seconds_per_epoch": float(np.median([float(r["seconds"]) for r in rows])),
        "image_size": config["data"]["image_size"],
        "crop_size": config["data"].get("crop_size"),
        "precision": config["train"]["precision"],
    }


def summary(rows: list[dict]) -> list[dict]:
    out = []
    for name in dict.fromkeys(r["candidate"] for r in rows):
        mine = [r for r in rows if r["candidate"] == name]
        out.append({
            "candidate": name,
            "runs": len(mine),
            "seeds": [r["seed"] for r in mine],
            "val best": float(np.mean([r["val_best"] for r in mine])),
            "val last10%": float(np.mean([r["val_last10"] for r in mine])),
            "test best.pt": float(np.mean([r["test_best"]["accuracy"] for r in mine])),
            "test last.pt": float(np.mean([r["test_last"]["accuracy"] for r in mine])),
            "min test": float(min(r["test_best"]["accuracy"] for r in mine)),
            "s/epoch": float(np.median([r["seconds_per_epoch"] for r in mine])),
        })  # fmt: skip
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidate", action="append", default=[], metavar="NAME=ARGS")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--runs", default="", help="keep the run folders here (default: a temporary folder)")
    ap.add_argument("--collect", default="", metavar="DIR", help="only add the finished runs found in DIR")
    ap.add_argument(
        "--budget",
        type=int,
        default=0,
        metavar="S",
        help="interrupt the runs after S seconds (resumed next call)",
    )
    args = ap.parse_args()
    jobs = [
        (n, a, int(s))
        for n, _, a in (c.partition("=") for c in args.candidate)
        for s in args.seeds.split(",")
    ]
    with tempfile.TemporaryDirectory(prefix="nnzero-scratch-") as tmp:
        runs = Path(args.collect or args.runs or tmp)
        runs.mkdir(parents=True, exist_ok=True)
        for i in range(0, len(jobs), 2):  # two at a time, one core each
            began = time.perf_counter()
            procs = [start(*job, runs, core, args.budget) for core, job in enumerate(jobs[i : i + 2])]
            codes = [p.wait() for p in procs if p is not None]
            print(f"{jobs[i : i + 2]}: exit {codes}, {time.perf_counter() - began:.0f} s", flush=True)
        found = [r for r in (collect(run) for run in sorted(runs.iterdir()) if run.is_dir()) if r]
    path = RESULTS / "catsdogs_scratch.json"
    old = json.loads(path.read_text())["runs"] if path.exists() else []
    done = {(r["candidate"], r["seed"]) for r in found}
    rows = [r for r in old if (r["candidate"], r["seed"]) not in done] + found
    table = summary(rows)
    print_table(table, COLUMNS)
    chosen = max(table, key=lambda r: r["val last10%"])["candidate"] if table else None
    print(f"chosen on validation (mean over the last tenth of the epochs): {chosen}")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    out = save("catsdogs_scratch", {"machine": machine(), "load_average": load, "chosen": chosen,
                                    "summary": table, "runs": rows})  # fmt: skip
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
