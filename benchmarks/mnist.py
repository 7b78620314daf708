"""MNIST: nnzero against the course's own programs, in one run on this machine.

    python benchmarks/mnist.py            # everything (~9 minutes on 2 CPU cores)
    python benchmarks/mnist.py --quick    # skip the slow CNN and the ImageFolder programs

Rows: the course's Keras MLP (5 epochs), its PyTorch MLP (2 epochs), its ImageFolder MLP
(EPOCHS=2); nnzero's mlp128 (the Keras model, 5 epochs), mlp256 trained from the same kind of
PNG folder, and the default cnn with its full schedule. Prints a table, writes
benchmarks/results/mnist.json. Targets (2 CPU cores): mlp128 reaches at least the Keras
accuracy in <= 0.3x its fit time; nnzero's ImageFolder epoch >= 20x faster than the
course's; cnn >= 99.5% test accuracy in <= 5 minutes.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

from _common import BASELINES, machine, nnzero, print_table, run_json, save


def epoch_seconds(run_dir: str) -> float:
    """Mean training time of an epoch, from the run's metrics.csv (validation not included)."""
    with open(Path(run_dir) / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return sum(float(r["seconds"]) for r in rows) / len(rows)


def nnzero_row(program: str, runs: str, epochs: int, baseline_seconds: float | None, *args: str) -> dict:
    """Train with nnzero (``args`` after ``nnzero train``); its row, timed against a course program's."""
    out = run_json(nnzero("train", *args, "--epochs", str(epochs), "--json", "--quiet", "--runs-dir", runs))
    row = {
        "program": program,
        "epochs": epochs,
        "test_accuracy": round(out["test_accuracy"], 4),
        "train_seconds": out["seconds"],
        "s_per_epoch": round(epoch_seconds(out["run_dir"]), 3),
        "wall_seconds": out["wall_seconds"],
    }
    if baseline_seconds:
        row["time_ratio"] = round(out["seconds"] / baseline_seconds, 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cnn-epochs", type=int, default=10)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nnzero-bench-"))
    runs = str(tmp / "runs")
    rows = []

    keras = run_json([sys.executable, str(BASELINES / "course_keras_mlp.py")], {"KERAS_BACKEND": "torch"})
    rows.append(
        {
            "program": "course Keras MLP 784-128-10",
            "epochs": 5,
            "test_accuracy": keras["test_accuracy"],
            "train_seconds": keras["fit_seconds"],
            "s_per_epoch": keras["seconds_per_epoch"],
        }
    )
    rows.append(nnzero_row("nnzero mlp128", runs, 5, keras["fit_seconds"], "mnist", "--model", "mlp128"))

    torch_mlp = run_json([sys.executable, str(BASELINES / "course_torch_mlp.py")])
    rows.append(
        {
            "program": "course PyTorch MLP 784-64x3-10 (batch 15)",
            "epochs": 2,
            "test_accuracy": torch_mlp["test_accuracy"],
            "train_seconds": torch_mlp["wall_seconds"],
        }
    )
    rows.append(
        nnzero_row("nnzero mlp64x3", runs, 2, torch_mlp["wall_seconds"], "mnist", "--model", "mlp64x3")
    )

    if not args.quick:
        images = tmp / "course_images"
        course = run_json(
            [sys.executable, str(BASELINES / "course_imagefolder_mlp.py")],
            {"EPOCHS": "2", "IMAGES_DIR": str(images)},
        )
        rows.append(
            {
                "program": "course ImageFolder MLP 784-256-10",
                "epochs": 2,
                "test_accuracy": course["test_accuracy"],
                "train_seconds": course["train_seconds"],
                "s_per_epoch": course["seconds_per_epoch"],
            }
        )
        row = nnzero_row(
            "nnzero mlp256 on the same PNG folders", runs, 2, None, "imagefolder", "--data-dir", str(images),
            "--model", "mlp256",
        )  # fmt: skip
        row["speedup_per_epoch"] = round(course["seconds_per_epoch"] / row["s_per_epoch"], 1)
        rows.append(row)
        rows.append(
            nnzero_row(
                f"nnzero cnn (default model, {args.cnn_epochs} epochs)", runs, args.cnn_epochs, None, "mnist"
            )
        )

    columns = [
        "program",
        "epochs",
        "test_accuracy",
        "train_seconds",
        "s_per_epoch",
        "time_ratio",
        "speedup_per_epoch",
        "wall_seconds",
    ]
    print_table(rows, columns)
    path = save("mnist", {"machine": machine(), "rows": rows})
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
