"""Do trained digit models read people's photos of digits? Accuracy on photos, per checkpoint.

    python benchmarks/mnist_photos.py runs/A/best.pt runs/B/best.pt [--extra 200]

Two sets of photos, each prepared the way `nnzero predict` prepares a user's photo:
  fixtures  tests/fixtures/digits/d*_*_*.* (11 photos, scans and drawings made from MNIST test digits)
  made      --extra more, rendered by tests/fixtures/make_digit_photos.py's render() from the
            MNIST test digits 100, 101, ... with its 11 kinds of shot in turn (paper, large,
            rotated, blur, shadow, pencil, specks, scan, alpha PNG, thick and thin pen), seeded
Prints one line per checkpoint and writes benchmarks/results/mnist_photos.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import numpy as np
from _common import REPO, save

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
import make_digit_photos as photos  # noqa: E402

from nnzero.datasets.mnist import load_arrays  # noqa: E402
from nnzero.inference.predictor import Predictor  # noqa: E402
from nnzero.training.checkpoint import load_checkpoint  # noqa: E402


def fixture_set() -> tuple[list, list[int]]:
    paths = sorted((REPO / "tests" / "fixtures" / "digits").glob("d*_*_*.*"))
    return [str(p) for p in paths], [int(p.stem.split("_")[0][1:]) for p in paths]


def made_set(n: int) -> tuple[list, list[int]]:
    images, labels = load_arrays("test")
    out, truth = [], []
    for k in range(n):
        index = 100 + k
        shot = dataclasses.replace(photos.SHOTS[k % len(photos.SHOTS)], index=index)
        out.append(photos.render(images[index], shot, np.random.default_rng([photos.SEED, index])))
        truth.append(int(labels[index]))
    return out, truth


def accuracy(predictor: Predictor, items: list, truth: list[int]) -> float:
    answers = predictor.predict(items, top=1)
    return float(np.mean([int(a[0]["label"]) == t for a, t in zip(answers, truth)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--extra", type=int, default=220)
    args = parser.parse_args()
    sets = {"fixtures": fixture_set(), "made": made_set(args.extra)}
    rows = []
    for path in args.checkpoints:
        ckpt = load_checkpoint(path)
        predictor = Predictor(ckpt, "cpu")
        row = {
            "checkpoint": path,
            "model": ckpt["model_name"],
            "test_accuracy": ckpt["metrics"].get("test_accuracy"),
        }
        for name, (items, truth) in sets.items():
            row[name] = round(accuracy(predictor, items, truth), 4)
            row[f"{name}_n"] = len(truth)
        rows.append(row)
        print(row)
    save("mnist_photos", {"rows": rows})


if __name__ == "__main__":
    main()
