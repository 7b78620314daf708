"""How the FSDD default was chosen: each candidate recipe on the leave-one-speaker-out folds.

The test takes of FSDD's convention (0-4) chose nothing: every figure here is a speaker the run never
heard (``--split speaker:NAME``: trained on the other four speakers' takes 5-49). One command runs
one recipe on the folds given (run it under the CPU lock, one recipe at a time):

    flock /tmp/nnzero-cpu.lock python benchmarks/sound_recipes.py default --folds all --seeds 0
    python benchmarks/sound_recipes.py --table        # every recipe measured so far, mean and worst fold

Each result is appended to benchmarks/results/sound_recipes.jsonl (one JSON line per fold and seed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import REPO, RESULTS, SHARED, machine, print_table  # noqa: E402

FSDD = Path(os.environ.get("NNZERO_FSDD", SHARED / "data" / "fsdd"))
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "yweweler")
LOG = RESULTS / "sound_recipes.jsonl"
W15 = {"fit": "window", "seconds": 1.5}

## name -> what differs from the default (model and its options, augmentation strengths, settings).
## Since 2026-12-05, 21:40 the default has no test-time warps; the rows of "default", "members-2",
## "mixup-*" and "synth-e40" before then were measured with the warps 0.9 and 1.1.
RECIPES = {
    "default": {},
    "stretch": {"data": {"fit": "stretch", "seconds": 1.5}},
    "plain": {"model_options": {"band_norm": "none"}, "settings": {"augment": False}},
    "no-augment": {"settings": {"augment": False}},
    "no-bandnorm": {"model_options": {"band_norm": "none"}},
    "meanvar": {"model_options": {"band_norm": "meanvar"}},
    "no-noise": {"augment": {"noise": 0.0}},
    "no-masks": {"augment": {"masks": 0}},
    "no-warp": {"augment": {"warp": 0.0}},
    "warp-0.2": {"augment": {"warp": 0.2}},
    "no-stretch-shift": {"augment": {"stretch": 0.0, "shift": 0.0}},
    "window-1.5": {"data": {"fit": "window"}},
    "window-1.0": {"data": {"fit": "window", "seconds": 1.0}},
    "trim-25": {"data": {"trim_db": 25.0}},
    "no-trim": {"data": {"trim_db": None}},
    "size-40": {"settings": {"image_size": 40}},
    "size-24": {"settings": {"image_size": 24}},
    "width-32": {"model_options": {"width": 32}},
    "epochs-60": {"settings": {"epochs": 60}},
    "epochs-30": {"settings": {"epochs": 30}},
    "batch-128": {"settings": {"batch_size": 128}},
    "synth-100": {"settings": {"synthetic": 100}},
    "synth-300": {"settings": {"synthetic": 300}},
    ## on the window fit (1.5 s, time to scale: robust to the room noise a microphone adds)
    "w15-synth-100": {"data": W15, "settings": {"synthetic": 100}},
    "w15-size-40": {"data": W15, "settings": {"image_size": 40}},
    "w15-warp-0.2": {"data": W15, "augment": {"warp": 0.2}},
    "w15-meanvar": {"data": W15, "model_options": {"band_norm": "meanvar"}},
    "w15-no-augment": {"data": W15, "settings": {"augment": False}},
    "w15-tta": {"data": W15, "model_options": {"warps": (0.9, 1.1)}},
    "w15-tta-ema": {"data": W15, "model_options": {"warps": (0.9, 1.1)}, "settings": {"ema": 0.998}},
    "w15-tta-synth": {"data": W15, "model_options": {"warps": (0.9, 1.1)}, "settings": {"synthetic": 100}},
    "w15-tta-fast": {
        "data": W15,
        "model_options": {"warps": (0.9, 1.1)},
        "settings": {"batch_size": 128, "epochs": 30},
    },
    "w15-tta-synth-fast": {
        "data": W15,
        "model_options": {"warps": (0.9, 1.1)},
        "settings": {"synthetic": 100, "batch_size": 128, "epochs": 30},
    },
    ## the default (w15-tta, keeping the last epoch) with 100 espeak-ng voices, 27 epochs for 40's time
    "synth-e27": {"settings": {"synthetic": 100, "epochs": 27}},
    "synth-e27-no-tta": {"model_options": {"warps": ()}, "settings": {"synthetic": 100, "epochs": 27}},
    "synth-e40": {"settings": {"synthetic": 100}},  # the same voices, all 40 epochs: ~1.4x the time
    ## the default as a committee of two networks (one after the other on the fold's one core)
    "members-2": {"settings": {"members": 2, "workers": 1}},
    ## what a picture's column is (sound_spec columns): the whole of its span, or one frame at its moment
    "pooled": {"data": {"columns": "pooled"}},  # each column the whole of its span (the default since 12-05)
    "sampled": {"data": {"columns": "sampled"}},  # each column one frame at its moment (the default before)
    "pooled-synth": {"data": {"columns": "pooled"}, "settings": {"synthetic": 100}},  # and the 100 voices
    "pooled-w10": {"data": {"columns": "pooled", "seconds": 1.0}},  # and a 1 s window: 32 ms a column
    ## mixup (train.mixup: each picture blended with another, the blend's share from Beta(a, a))
    "mixup-0.2": {"settings": {"mixup": 0.2}},
    "mixup-1": {"settings": {"mixup": 1.0}},
    "w15-plain": {"data": W15, "model_options": {"band_norm": "none"}, "settings": {"augment": False}},
}


def register_variant(name: str, options: dict) -> str:
    """A soundcnn with other options, registered under its own name (so the run folder says what it was)."""
    from nnzero.models import register_model
    from nnzero.models._registry import _MODELS
    from nnzero.models.sounds import SOUND_DEFAULTS, soundcnn

    variant = "soundcnn_" + name.replace("-", "_")
    if variant not in _MODELS:

        def factory(num_classes=10, in_channels=1, image_size=32):
            return soundcnn(num_classes, in_channels, image_size, **options)

        factory.__name__ = variant
        register_model(description=name, description_zh=name, task="sounds", train_defaults=SOUND_DEFAULTS)(
            factory
        )
    return variant


## which epoch's weights a run keeps, by its validation rows (``history``: metrics.csv's rows, in order)
SELECTIONS = {
    "accuracy": lambda h: max(h, key=lambda r: r["val_accuracy"]),  # the first best (best.pt today)
    "accuracy-then-loss": lambda h: max(h, key=lambda r: (r["val_accuracy"], -r["val_loss"])),
    "loss": lambda h: min(h, key=lambda r: r["val_loss"]),
    "last": lambda h: h[-1],
}


class EveryEpoch:
    """Keeps each epoch's weights (last.pt, written after ``on_epoch_end``) as epochs/<n>.pt."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.run_dir = None

    def on_train_begin(self, run) -> None:
        self.run_dir = run.dir

    def _keep(self, epoch: int) -> None:
        last = Path(self.run_dir) / "last.pt"
        if epoch > 0 and last.exists():
            shutil.copyfile(last, self.folder / f"{epoch}.pt")

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        self._keep(epoch - 1)

    def on_train_end(self, run) -> None:
        self._keep(len(run.history))


def selection_scores(history: list, folder: Path) -> dict:
    """Each selection rule's epoch and its weights' accuracy on the held-out clips (the fold's test)."""
    import nnzero

    out, scored = {}, {}
    for rule, pick in SELECTIONS.items():
        epoch = int(pick(history)["epoch"])
        if epoch not in scored:
            result = nnzero.evaluate(folder / f"{epoch}.pt")
            scored[epoch] = result["sound"].get("unseen_speaker_accuracy", result["test_accuracy"])
        out[rule] = {"epoch": epoch, "test": round(scored[epoch], 4)}
    shutil.rmtree(folder, ignore_errors=True)
    return out


def run_fold(recipe: str, speaker: str, seed: int, selections: bool = False) -> dict:
    import torch

    import nnzero

    if os.environ.get("SOUND_RECIPES_CORE"):  # one core of its own (nnzero then uses one thread)
        os.sched_setaffinity(0, {int(os.environ["SOUND_RECIPES_CORE"])})
        torch.set_num_threads(1)
    from nnzero.datasets import sounds
    from nnzero.training import augment

    spec = RECIPES[recipe]
    saved_aug, saved_fsdd = dict(augment.SOUND_AUGMENT), dict(sounds.DEFAULTS["fsdd"])
    augment.SOUND_AUGMENT.update(spec.get("augment", {}))
    sounds.DEFAULTS["fsdd"].update(spec.get("data", {}))
    model = (
        register_variant(recipe, spec["model_options"]) if spec.get("model_options") else spec.get("model")
    )
    epochs = Path(f"/tmp/nnzero-sound-recipes/epochs-{recipe}-{speaker}-{seed}")
    start = time.perf_counter()
    try:
        run = nnzero.train(
            "fsdd", model=model, data_dir=str(FSDD), split=f"speaker:{speaker}", seed=seed,
            runs_dir="/tmp/nnzero-sound-recipes", progress=False, say=lambda m: None,
            callbacks=[EveryEpoch(epochs)] if selections else (), **spec.get("settings", {}),
        )  # fmt: skip
    finally:
        augment.SOUND_AUGMENT.clear()
        augment.SOUND_AUGMENT.update(saved_aug)
        sounds.DEFAULTS["fsdd"] = saved_fsdd
    return {
        "recipe": recipe,
        "speaker": speaker,
        "seed": seed,
        "unseen_speaker": run.metrics.get("unseen_speaker_accuracy", run.test_accuracy),
        **{f"in_noise_{-db}": as_recorded(run.checkpoint, speaker, db) for db in (-45, -35)},
        "seen_speakers_new_takes": run.metrics.get("seen_speakers_accuracy"),
        "val_accuracy": run.metrics.get("val_accuracy"),
        "epochs": len(run.history),
        "keep": run.config["train"]["keep"],  # which epoch "unseen_speaker" scored (train.keep)
        "seconds": round(time.perf_counter() - start, 1),
        **({"selections": selection_scores(run.history, epochs)} if selections else {}),
    }


def as_recorded(checkpoint, speaker: str, level_db: float) -> float:
    """Accuracy on the held-out speaker's clips as a microphone would give them: 0.6 s of room noise before,
    1.2 s after, the noise ``level_db`` under the clip's peak (the Listen view records 1.5 s and trims)."""
    import nnzero

    predictor = nnzero.load(checkpoint)
    return accuracy(predictor, *clip_batches(test_clips(speaker), predictor.spec["audio"], level_db))


def test_clips(split: str) -> list[Path]:
    """The clips a run of ``split`` is tested on: one held-out speaker's, or takes 0-4 of everyone's."""
    from nnzero.datasets.sound_split import TEST_TAKES, parse_name

    names = {p: parse_name(p.name) for p in sorted((FSDD / "recordings").glob("*.wav"))}
    if split == "takes":
        return [p for p, n in names.items() if n["take"] < TEST_TAKES]
    return [p for p, n in names.items() if n["speaker"] == split]


def clip_batches(paths: list[Path], spec: dict, level_db: float | None = None) -> tuple[list, object]:
    """Each clip's pictures, as `nnzero predict` makes them, and the labels (N,); with ``level_db``, every
    clip as recorded in a room (``in_a_room``, the noise drawn from one generator seeded 0)."""
    import numpy as np
    import soundfile as sf

    from nnzero.datasets.sound_pictures import clip_pictures
    from nnzero.datasets.sound_split import parse_name

    rng, batches = np.random.default_rng(0), []
    for path in paths:
        x, rate = sf.read(path, dtype="float32")
        x = x if level_db is None else in_a_room(x, rate, level_db, rng)
        batches.append(clip_pictures(x, rate, spec))
    return batches, np.array([int(parse_name(p.name)["label"]) for p in paths])


def accuracy(predictor, batches: list, labels) -> float:
    """The share of clips whose windows' averaged probabilities name the right label."""
    import numpy as np

    guesses = np.array([predictor.probabilities(b).mean(axis=0).argmax() for b in batches])
    return round(float((guesses == labels).mean()), 4)


def in_a_room(x, rate: int, level_db: float, rng):
    """``x`` as the Listen view records it: 0.6 s of room noise before, 1.2 s after, ``level_db`` under its peak."""
    import numpy as np

    x = np.concatenate([np.zeros(int(0.6 * rate)), x, np.zeros(int(1.2 * rate))]).astype(np.float32)
    return x + rng.normal(0, np.abs(x).max() * 10 ** (level_db / 20), len(x)).astype(np.float32)


def valid_rows() -> list[dict]:
    """The log's rows, less those marked invalid (each says why)."""
    rows = [json.loads(line) for line in LOG.read_text().splitlines()] if LOG.exists() else []
    return [r for r in rows if not r.get("invalid")]


def by_fold(runs: list[dict], score) -> dict:
    """The runs' ``score`` averaged per held-out speaker: how many folds, their mean and worst, and each
    fold's (columns named by the speaker's first four letters)."""
    folds: dict[str, list[float]] = {}
    for r in runs:
        folds.setdefault(r["speaker"], []).append(score(r))
    means = {s: sum(v) / len(v) for s, v in folds.items()}
    return {
        "folds": len(means),
        "mean": sum(means.values()) / len(means),
        "worst": min(means.values()),
        **{s[:4]: round(means[s], 3) for s in SPEAKERS if s in means},
    }


def table(markdown: bool = False) -> None:
    rows = valid_rows()
    by = {}
    for r in rows:
        by.setdefault(r["recipe"], []).append(r)
    out = []
    for recipe, rs in by.items():
        folds = by_fold(rs, lambda r: r["unseen_speaker"])
        out.append(
            {
                "recipe": recipe,
                "keeps": "/".join(sorted({r["keep"] for r in rs})),
                "runs": len(rs),
                **folds,
                "noise-45": round(sum(r.get("in_noise_45", 0) for r in rs) / len(rs), 3),
                "noise-35": round(sum(r.get("in_noise_35", 0) for r in rs) / len(rs), 3),
                "s/fold": round(sum(r["seconds"] for r in rs) / len(rs), 1),
            }
        )
    columns = [
        "recipe",
        "keeps",
        "folds",
        "runs",
        "mean",
        "worst",
        *[s[:4] for s in SPEAKERS],
        "noise-45",
        "noise-35",
    ]
    rows = sorted(out, key=lambda r: -r["mean"])
    if not markdown:
        print_table(rows, [*columns, "s/fold"])
        return
    print("| " + " | ".join(columns) + " |")
    print("| --- " * len(columns) + "|")
    for r in rows:
        cells = [f"{r[c]:.3f}" if isinstance(r.get(c), float) else str(r.get(c, "-")) for c in columns]
        print("| " + " | ".join(cells) + " |")


def selection_table() -> None:
    """Per rule: the mean over runs of the held-out speaker's accuracy, and over folds its mean and worst,
    on the runs that scored every rule (paired: the same trained networks)."""
    rows = [r for r in valid_rows() if r.get("selections")]
    out = []
    for recipe in dict.fromkeys(r["recipe"] for r in rows):
        runs = [r for r in rows if r["recipe"] == recipe]
        for rule in SELECTIONS:
            folds = by_fold(runs, lambda r, rule=rule: r["selections"][rule]["test"])
            out.append(
                {
                    "recipe": recipe,
                    "keeps": rule,
                    "runs": len(runs),
                    **folds,
                    "mean": round(folds["mean"], 4),
                    "worst": round(folds["worst"], 4),
                    "epoch": round(sum(r["selections"][rule]["epoch"] for r in runs) / len(runs), 1),
                }
            )
    print_table(out, ["recipe", "keeps", "runs", "mean", "worst", *[s[:4] for s in SPEAKERS], "epoch"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("recipe", nargs="*", help=f"any of: {', '.join(RECIPES)}")
    parser.add_argument("--folds", default="all", help="all, or speakers separated by commas")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="the table as markdown (docs/sound.md)")
    parser.add_argument("--budget", type=float, default=780, help="start no new fold after this many seconds")
    parser.add_argument(
        "--jobs", type=int, default=2, help="folds trained at once, one torch thread each (2 cores: 2)"
    )
    parser.add_argument(
        "--selections",
        action="store_true",
        help="also keep every epoch and score the epoch each rule of SELECTIONS picks (--selection-table)",
    )
    parser.add_argument("--selection-table", action="store_true")
    args = parser.parse_args()
    if args.selection_table:
        selection_table()
        return
    if args.table or args.markdown or not args.recipe:
        table(args.markdown)
        return
    unknown = [r for r in args.recipe if r not in RECIPES]
    if unknown:
        parser.error(f"unknown recipe(s) {', '.join(unknown)}; known: {', '.join(RECIPES)}")
    os.chdir(REPO)
    folds = SPEAKERS if args.folds == "all" else args.folds.split(",")
    jobs = [(r, s, f) for r in args.recipe for s in (int(x) for x in args.seeds.split(",")) for f in folds]
    if args.jobs > 1:
        run_parallel(jobs, args.jobs, args.budget, args.selections)
        return
    info, start = machine(), time.perf_counter()
    for recipe, seed, speaker in jobs:
        if time.perf_counter() - start > args.budget:
            print(f"budget spent: stopped before {recipe} {speaker} seed {seed}", flush=True)
            return
        row = run_fold(recipe, speaker, seed, args.selections) | {
            "date": info["date"],
            "processor": info["processor"],
        }
        print(json.dumps(row), flush=True)
        LOG.parent.mkdir(parents=True, exist_ok=True)
        with LOG.open("a") as f:
            f.write(json.dumps(row) + "\n")


def run_parallel(jobs: list, width: int, budget: float, selections: bool) -> None:
    """Each fold in its own process with one torch thread, ``width`` at a time: small convolutions use two
    cores better as two processes than as two threads of one."""
    import subprocess

    start, running = time.perf_counter(), {}  # core -> its process
    cores = sorted(os.sched_getaffinity(0))[:width]
    for recipe, seed, speaker in jobs:
        while len(running) >= len(cores):
            running = {c: p for c, p in running.items() if p.poll() is None}
            time.sleep(0.5)
        if time.perf_counter() - start > budget:
            print(f"budget spent: stopped before {recipe} {speaker} seed {seed}", flush=True)
            break
        core = next(c for c in cores if c not in running)
        env = {
            **os.environ,
            "SOUND_RECIPES_CHILD": "1",
            "SOUND_RECIPES_CORE": str(core),
            "OMP_NUM_THREADS": "1",
        }
        command = [sys.executable, __file__, recipe, "--folds", speaker, "--seeds", str(seed), "--jobs", "1"]
        command += ["--selections"] if selections else []
        running[core] = subprocess.Popen(command, env=env)
    for p in running.values():
        p.wait()


if __name__ == "__main__":
    main()
