"""How well each candidate score says "unknown": photos of other things, digits, noise and blank images.

    python benchmarks/unknown.py                          # flowers and cats/dogs models, then MNIST
    python benchmarks/unknown.py --sets flowers --timing  # and what the score adds to `nnzero predict`

For each data set the default model is trained (`nnzero train photos`, efficientnet_lite2; the
features come from the cache, so a warm run takes seconds) and every candidate score
(benchmarks/_unknown_methods.py) is fitted on its training photos. Known pictures: the run's own
validation and test photos (the test photos chose nothing). Out-of-distribution sets (chose
nothing either): 200 MNIST test digits written as PNG files, 200 photos of the other data set
(cats and dogs for the flowers model, flowers for the cats-and-dogs model), 50 random-noise images,
20 blank images of one colour. For every method: the threshold chosen on the validation photos for
95% coverage (split-conformal), the test coverage and accuracy it gives, and the share of each
set it rejects; the rejection at exactly 95% of the test photos answered, and the trade-off
curve (rejection at 99/95/90/80/70% test coverage). Then what nnzero ships (knn3, the threshold
chosen leave-one-out on training + validation photos) and a calibration check: its test coverage
over 20 random test/known partitions. Writes benchmarks/results/unknown.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import REPO, machine, print_table, save
from _unknown_data import SETS, digit_photos, digit_pngs, features_of, known_photos, photos_of, plain_images
from _unknown_methods import COMBINATIONS, combined, fit_methods

COVERAGES = (0.99, 0.95, 0.9, 0.8, 0.7)


def method_rows(scores: dict, known: dict, logits_test: np.ndarray, ood: list[str]) -> list[dict]:
    from nnzero.unknown.nearest import threshold_at

    right = logits_test.argmax(1) == known["test"][1]
    rows = []
    for name, s in scores.items():
        t = threshold_at(s["val"], 0.95)  # chosen on the validation photos
        answered = s["test"] >= t
        exact = np.quantile(s["test"], 0.05)  # the threshold that answers 95% of the test photos
        row = {
            "method": name,
            "test coverage": float(answered.mean()),
            "acc answered": float(right[answered].mean()) if answered.any() else None,
            **{f"{o} rejected": float((s[o] < t).mean()) for o in ood},
            **{f"{o} @95% test": float((s[o] < exact).mean()) for o in ood},
        }
        row["curve"] = {
            str(c): {o: float((s[o] < np.quantile(s["test"], 1 - c)).mean()) for o in ood} for c in COVERAGES
        }
        rows.append(row)
    return rows


def shipped_row(predictor, known: dict, ood_sets: dict, right: np.ndarray, what: str) -> dict:
    """What best.pt itself does (nnzero.unknown: knn3, its bank and leave-one-out threshold)."""
    u = predictor.unknown
    answered = ~u.flags(known["test"][0])
    return {
        "method": f"nnzero (knn3, {what})",
        "test coverage": float(answered.mean()),
        "acc answered": float(right[answered].mean()),
        **{f"{o} rejected": float(u.flags(x).mean()) for o, x in ood_sets.items()},
        "threshold": u.threshold,
    }


def partitions(known: dict, ood_sets: dict, n: int = 20) -> dict:
    """The shipped method's test coverage when other photos are held out: n random test/known partitions."""
    from nnzero.unknown import fit_unknown

    x = np.concatenate([known[k][0] for k in ("train", "val", "test")])
    n_test, covs, rejected = len(known["test"][0]), [], {o: [] for o in ood_sets}
    for seed in range(n):
        order = np.random.default_rng(seed).permutation(len(x))
        u = fit_unknown(x[order[n_test:]])
        covs.append(1 - float(u.flags(x[order[:n_test]]).mean()))
        for o, f in ood_sets.items():
            rejected[o].append(float(u.flags(f).mean()))
    return {
        "partitions": n,
        "coverage mean": float(np.mean(covs)),
        "coverage sd": float(np.std(covs)),
        "coverage min": float(np.min(covs)),
        **{f"{o} rejected min": float(np.min(v)) for o, v in rejected.items()},
    }


def photo_set(name: str, runs: Path, n_ood: int) -> dict:
    import nnzero
    from nnzero.models.imagenet import imagenet_head

    data_dir, other = SETS[name]
    start = time.perf_counter()
    run = nnzero.train(
        "photos", data_dir=data_dir, runs_dir=runs, name=name, progress=False, say=lambda m: None
    )
    predictor = nnzero.load(run.checkpoint, device="cpu")
    known = known_photos(predictor, run.config)
    rng = np.random.default_rng(0)
    images = {"digits": digit_pngs(n_ood, rng), other: photos_of(other, n_ood, rng), **plain_images(rng)}
    ood_sets = {o: features_of(predictor, ims)[0] for o, ims in images.items()}
    head = predictor.model.head()
    w, b = head.weight.detach().numpy(), head.bias.detach().numpy()
    inet = imagenet_head(predictor.checkpoint["model_name"])
    fitted = fit_methods(*known["train"], (w, b), (inet.weight.numpy(), inet.bias.numpy()))
    sets = {"val": known["val"][0], "test": known["test"][0], **ood_sets}
    scores = {m: {s: f(x) for s, x in sets.items()} for m, f in fitted.items()}
    for names in COMBINATIONS:
        scores[f"sum({'+'.join(names)})"] = combined(scores, names)
    logits_test = known["test"][0] @ w.T + b
    right = logits_test.argmax(1) == known["test"][1]
    rows = method_rows(scores, known, logits_test, list(ood_sets))
    rows.append(shipped_row(predictor, known, ood_sets, right, "train + validation photos"))
    return {
        "model": predictor.checkpoint["model_name"],
        "photos": {k: len(v[1]) for k, v in known.items()},
        "ood": {o: len(x) for o, x in ood_sets.items()},
        "test accuracy": float(right.mean()),
        "methods": rows,
        "calibration check": partitions(known, ood_sets),
        "checkpoint": str(run.checkpoint),
        "seconds": round(time.perf_counter() - start, 1),
    }


def timing(checkpoint: str, photo: Path, repeats: int) -> dict:
    """`nnzero predict CKPT PHOTO` whole, with the score, against the same checkpoint without its
    "unknown" entry (what nnzero predicted before: no bank to load, no score), alternating; medians."""
    import torch

    before = Path(checkpoint).with_name("before.pt")
    ckpt = torch.load(checkpoint, weights_only=True)
    ckpt.pop("unknown")
    torch.save(ckpt, before)
    times = {"with": [], "without": []}
    for i in range(repeats):
        for which in ("with", "without") if i % 2 == 0 else ("without", "with"):
            path = checkpoint if which == "with" else str(before)
            cmd = [sys.executable, "-m", "nnzero", "predict", path, str(photo), "--device", "cpu"]
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, cwd=REPO)
            times[which].append(time.perf_counter() - start)
    med = {k: float(np.median(v)) for k, v in times.items()}
    return {"repeats": repeats, "with s": med["with"], "without s": med["without"], "ratio": med["with"] / med["without"],
            "pairs": [round(a / b, 4) for a, b in zip(times["with"], times["without"])]}  # fmt: skip


def in_process(checkpoint: str, photo: Path, repeats: int = 30) -> dict:
    """Predictor.answer on one prepared photo, with and without the score, alternating; medians in ms."""
    import nnzero
    from nnzero.datasets.images import open_image

    p = nnzero.load(checkpoint, device="cpu")
    batch = p.prepare(open_image(photo))[None]
    p.answer(batch)  # warm up
    ms = {True: [], False: []}
    for i in range(repeats):
        for flag in (True, False) if i % 2 == 0 else (False, True):
            start = time.perf_counter()
            p.answer(batch, unknown=flag)
            ms[flag].append(1000 * (time.perf_counter() - start))
    return {"with ms": float(np.median(ms[True])), "without ms": float(np.median(ms[False])),
            "ratio": float(np.median(ms[True]) / np.median(ms[False]))}  # fmt: skip


def mnist_set(runs: Path, n_ood: int) -> dict:
    """The default MNIST model (fastcnn, one epoch): the same scores on the features before its last layer."""
    import torch

    import nnzero
    from nnzero.config import from_dict
    from nnzero.training.data import prepare_data
    from nnzero.unknown import features_and_logits
    from nnzero.unknown.features import classifier_layer

    start = time.perf_counter()
    run = nnzero.train("mnist", runs_dir=runs, name="mnist", progress=False, say=lambda m: None)
    predictor = nnzero.load(run.checkpoint, device="cpu")
    cfg = from_dict(run.config)
    data = prepare_data(cfg["data"], cfg["train"].seed)

    def features(images, limit=None):
        imgs = np.asarray(images[:limit])
        out = [
            features_and_logits(predictor.model, predictor._input(imgs[i : i + 500]))
            for i in range(0, len(imgs), 500)
        ]
        return torch.cat([f for f, _ in out]).numpy(), torch.cat([z for _, z in out]).numpy()

    rng = np.random.default_rng(0)
    pick = rng.choice(len(data.train.images), 10000, replace=False)
    known = {
        "train": (features(data.train.images[np.sort(pick)])[0], data.train.labels[np.sort(pick)]),
        "val": (features(data.val.images)[0], data.val.labels),
        "test": (features(data.test.images)[0], data.test.labels),
    }
    images = {
        "flowers": photos_of("flowers", n_ood, rng),
        "catsdogs": photos_of("catsdogs", n_ood, rng),
        **plain_images(rng),
    }
    ood_sets, refused = {}, {}
    for o, ims in images.items():
        ood_sets[o], refused[o] = features_of(predictor, ims)
    ## known classes in another look: photos of handwritten digits; rejecting them is the cost
    ood_sets["digit photos"], refused["digit photos"] = features_of(predictor, digit_photos(n_ood)[0])
    head = classifier_layer(predictor.model)
    w, b = head.weight.detach().numpy(), head.bias.detach().numpy()
    fitted = fit_methods(*known["train"], (w, b), None)
    sets = {"val": known["val"][0], "test": known["test"][0], **{o: x for o, x in ood_sets.items() if len(x)}}
    scores = {m: {s: f(x) for s, x in sets.items()} for m, f in fitted.items()}
    scores["sum(msp+knn3)"] = combined(scores, ("msp", "knn3"))
    logits_test = known["test"][0] @ w.T + b
    rows = method_rows(scores, known, logits_test, [o for o in ood_sets if len(ood_sets[o])])
    right = logits_test.argmax(1) == known["test"][1]
    live = {o: x for o, x in ood_sets.items() if len(x)}
    rows.append(shipped_row(predictor, known, live, right, "validation pictures"))
    photo_labels = digit_photos(n_ood)[1]
    photo_right = (ood_sets["digit photos"] @ w.T + b).argmax(1) == photo_labels
    return {
        "model": predictor.checkpoint["model_name"],
        "digit photos accuracy": float(photo_right.mean()),
        "known": {k: len(v[1]) for k, v in known.items()},
        "ood": {o: len(x) for o, x in ood_sets.items()},
        "refused by the digit preparation (no ink found)": refused,
        "test accuracy": float((logits_test.argmax(1) == known["test"][1]).mean()),
        "methods": rows,
        "seconds": round(time.perf_counter() - start, 1),
    }


def show(name: str, result: dict) -> None:
    ood = list(result["ood"])
    print(
        f"\n{name}: {result['model']}, test accuracy {result['test accuracy']:.4f}, OOD sets {result['ood']}"
    )
    columns = [
        "method",
        "test coverage",
        "acc answered",
        *[f"{o} rejected" for o in ood],
        *[f"{o} @95% test" for o in ood],
    ]
    print_table(result["methods"], columns)
    if "calibration check" in result:
        print(
            "calibration check (nnzero's threshold, random test/known partitions):",
            result["calibration check"],
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default="flowers,catsdogs,mnist")
    parser.add_argument("--ood", type=int, default=200, help="pictures in each photo/digit OOD set")
    parser.add_argument(
        "--timing", action="store_true", help="time `nnzero predict` with and without the score"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--runs-dir", help="keep the trained runs here (default: a temporary folder)")
    parser.add_argument("--save-as", default="unknown")
    parser.add_argument(
        "--timing-only",
        metavar="RUNS",
        help="only time `nnzero predict` on RUNS/<set>/best.pt (unknown_timing.json)",
    )
    args = parser.parse_args()
    if args.timing_only:
        return timing_only(Path(args.timing_only), args.sets.split(","), args.repeats)
    results = {"machine": machine(), "sets": {}}
    with tempfile.TemporaryDirectory(prefix="nnzero-unknown-") as tmp:
        runs = Path(args.runs_dir or tmp)
        for name in args.sets.split(","):
            result = mnist_set(runs, args.ood) if name == "mnist" else photo_set(name, runs, args.ood)
            results["sets"][name] = result
            show(name, result)
            save(args.save_as, results)  # after each set: a later failure keeps the earlier ones
            if args.timing and name != "mnist":
                photo = next(Path(SETS[name][0]).rglob("*.jpg"))
                result["timing"] = {"command": timing(result["checkpoint"], photo, args.repeats),
                                    "in process": in_process(result["checkpoint"], photo)}  # fmt: skip
                print("timing:", result["timing"])
    print("written:", save(args.save_as, results))


def timing_only(runs: Path, sets: list[str], repeats: int) -> None:
    """What the score adds to `nnzero predict`, on checkpoints an earlier run of this script kept."""
    results = {"machine": machine(), "sets": {}}
    for name in [s for s in sets if s in SETS]:
        checkpoint, photo = str(runs / name / "best.pt"), next(Path(SETS[name][0]).rglob("*.jpg"))
        results["sets"][name] = {
            "command": timing(checkpoint, photo, repeats),
            "in process": in_process(checkpoint, photo),
        }
        print(name, results["sets"][name])
    print("written:", save("unknown_timing", results))


if __name__ == "__main__":
    main()
