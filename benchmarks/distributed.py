"""Data-parallel training: images/s with 1 process and with N processes, in one run on this machine.

    python benchmarks/distributed.py                         # cnn and lenet5, 1 and 2 processes
    python benchmarks/distributed.py --models cnn --nproc 1,2,4 --limit 0 --epochs 3
    python benchmarks/distributed.py --device cuda --nproc 1,8   # on a machine with 8 GPUs

"1 process" is the plain command (no torchrun, all cores); on the CPU a second row pins it to
one core (taskset), which is what each of 2 processes gets on 2 cores; N > 1 is
`nnzero train --nproc N` (torchrun, DDP, cores / N threads each on the CPU). images/s is the training throughput of
the epochs after the first (the first pays for warm-up), from the run's metrics.csv; the
global batch, learning rate and seed are the same in every row. Prints a table and writes
benchmarks/results/distributed.json.

On a CPU the processes share the same cores and memory bandwidth, so expect little or no
gain there: DDP pays off with one GPU per process, or with several machines.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import tempfile
from pathlib import Path

from _common import REPO, machine, nnzero, print_table, run_json, save


def epoch_rates(run_dir: str) -> list[float]:
    with open(Path(run_dir) / "metrics.csv", newline="") as f:
        return [float(r["images_per_s"]) for r in csv.DictReader(f)]


def one_run(model: str, nproc: int, args, runs: str, one_core: bool = False) -> dict:
    flags = ["train", "mnist", "--model", model, "--epochs", str(args.epochs)]
    flags += ["--batch-size", str(args.batch_size)]
    name = f"{model}-{nproc}{'-one-core' if one_core else ''}"
    flags += ["--device", args.device, "--json", "--quiet", "--runs-dir", runs, "--name", name]
    if args.limit:
        flags += ["--limit", str(args.limit)]
    if nproc > 1:
        flags += ["--nproc", str(nproc)]
    command = (["taskset", "-c", "0"] if one_core else []) + nnzero(*flags)
    result = run_json(command, {"PYTHONPATH": str(REPO / "src")})
    rates = epoch_rates(result["run_dir"])
    steady = rates[1:] or rates
    cores = os.cpu_count() or 1
    return {
        "model": model,
        "processes": nproc,
        "threads_each": 1 if one_core else max(1, cores // nproc) if args.device == "cpu" else None,
        "images_per_s": round(sum(steady) / len(steady), 1),
        "first_epoch_images_per_s": round(rates[0], 1),
        "test_accuracy": round(result["test_accuracy"], 4),
        "train_seconds": result["seconds"],
        "wall_seconds": result["wall_seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cnn,lenet5", help="comma-separated registered models")
    parser.add_argument("--nproc", default="1,2", help="process counts to compare, e.g. 1,2,4")
    parser.add_argument(
        "--epochs", type=int, default=2, help="images/s is measured on the epochs after the first"
    )
    parser.add_argument("--limit", type=int, default=10000, help="training images (0: all 60,000)")
    parser.add_argument("--batch-size", type=int, default=128, help="global batch, the same in every row")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda (one GPU per process)")
    args = parser.parse_args()
    runs = str(Path(tempfile.mkdtemp(prefix="nnzero-bench-ddp-")) / "runs")
    rows = []
    for model in args.models.split(","):
        base = None
        plan = [(int(n), False) for n in args.nproc.split(",")]
        if args.device == "cpu" and shutil.which("taskset") and (os.cpu_count() or 1) > 1:
            plan.insert(1, (1, True))
        for nproc, one_core in plan:
            row = one_run(model, nproc, args, runs, one_core)
            base = base or row["images_per_s"]
            row["speedup"] = round(row["images_per_s"] / base, 2)
            rows.append(row)
            print(row, flush=True)
    print()
    print_table(rows, ["model", "processes", "threads_each", "images_per_s", "speedup", "test_accuracy",
                       "train_seconds", "wall_seconds"])  # fmt: skip
    settings = {k: getattr(args, k) for k in ("epochs", "limit", "batch_size", "device")}
    path = save(
        "distributed", {"machine": machine(), "load_average": os.getloadavg(), **settings, "rows": rows}
    )
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
