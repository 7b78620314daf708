"""Spoken digits (FSDD): nnzero against a public FSDD CNN, on FSDD's convention and on unseen speakers.

Every program is a whole process timed from outside, as a user runs it; nnzero and the peer
(benchmarks/peers/sound_mnist.py, adhishthite/sound-mnist re-implemented) alternate A B / B A so both
see the same machine. Three parts, each short enough for one turn of the CPU lock:

    flock /tmp/nnzero-cpu.lock python benchmarks/sound.py convention --seeds 0,1,2
    flock /tmp/nnzero-cpu.lock python benchmarks/sound.py loso --folds george,jackson
    flock /tmp/nnzero-cpu.lock python benchmarks/sound.py loso --folds lucas,nicolas,yweweler
    flock /tmp/nnzero-cpu.lock python benchmarks/sound.py scratch
    flock /tmp/nnzero-cpu.lock python benchmarks/sound.py loso-peer   # the peer alone, all folds
    flock /tmp/nnzero-cpu.lock python benchmarks/sound.py voices --seeds 0,1,2,3,4
    python benchmarks/sound.py table            # the tables of everything measured so far

- convention: FSDD's own split, takes 0-4 of every speaker tested: `nnzero train fsdd` (its defaults)
  and the peer, seeds given;
- loso: leave one speaker out: `nnzero train fsdd --split speaker:NAME` (trained on the other four
  speakers' takes 5-49) and the peer on the same split;
- scratch: `nnzero scratch train fsdd --model lenet` (the NumPy engine), convention split;
- voices: the convention's `nnzero train fsdd` with and without the option for unseen voices
  (`--set data.synthetic=100`: the digits said by 100 espeak-ng voices added to training), alternated;
- loso-peer: the peer alone on every fold, in one process (its features computed once; ``seconds``
  is each fold's training and testing): its accuracy where nnzero's folds were measured apart
  (benchmarks/sound_recipes.py), for want of CPU time to rerun both.

Results go to benchmarks/results/sound.json (each part replaces its own rows).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import RESULTS, SHARED, machine, nnzero, print_table, run_json  # noqa: E402

FSDD = Path(os.environ.get("NNZERO_FSDD", SHARED / "data" / "fsdd"))
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "yweweler")
OUT = RESULTS / "sound.json"
PEER = [sys.executable, str(HERE / "peers" / "sound_mnist.py"), "--data-dir", str(FSDD)]


def fsdd_command(*program: str, seed: int) -> list[str]:
    """``nnzero PROGRAM`` on the shared FSDD with a seed, as a user runs it: JSON out, no progress bar."""
    bench = ("--json", "--runs-dir", "/tmp/nnzero-sound-bench", "--quiet")
    return nnzero(*program, "--data-dir", str(FSDD), "--seed", str(seed), *bench)


def ours(split: str, seed: int, *options: str) -> dict:
    got = run_json(fsdd_command("train", "fsdd", "--split", split, *options, seed=seed))
    program = " ".join(["nnzero train fsdd", *options])
    return {"program": program, "split": split, "seed": seed, **_keep(got)}


def voices(split: str, seed: int) -> dict:
    """``ours`` with the option for unseen voices: the digits said by 100 espeak-ng voices in training."""
    return ours(split, seed, "--set", "data.synthetic=100")


def peer(split: str, seed: int) -> dict:
    got = run_json([*PEER, "--split", split, "--seed", str(seed)])
    return {"program": "peer: adhishthite/sound-mnist", "split": split, "seed": seed, **_keep(got)}


def peer_folds(speakers: list[str], seed: int) -> list[dict]:
    """The peer on several leave-one-speaker-out folds in one process: one row per fold."""
    proc = subprocess.run(
        [*PEER, "--split", ",".join(f"speaker:{s}" for s in speakers), "--seed", str(seed)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    program = "peer: adhishthite/sound-mnist"
    return [
        {"program": program, "seed": seed, "wall_seconds": None, **_keep(r), "split": r["split"]}
        for r in rows
    ]


def _keep(got: dict) -> dict:
    keys = ("test_accuracy", "seen_speakers_accuracy", "wall_seconds", "seconds", "epoch", "speakers")
    return {k: got[k] for k in keys if k in got}


def pairs(split: str, seeds: list[int], flip: int = 0, other=peer) -> list[dict]:
    rows = []
    for i, seed in enumerate(seeds, flip):
        first, second = (ours, other) if i % 2 == 0 else (other, ours)  # A B, then B A
        for program in (first, second):
            rows.append(program(split, seed))
            print(json.dumps(rows[-1]), flush=True)
    return rows


def scratch(seeds: list[int]) -> list[dict]:
    rows = []
    for seed in seeds:
        got = run_json(fsdd_command("scratch", "train", "fsdd", "--model", "lenet", seed=seed))
        rows.append(
            {
                "program": "nnzero scratch train fsdd --model lenet",
                "split": "takes",
                "seed": seed,
                **_keep(got),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def save(part: str, rows: list[dict], replace_splits: set[str]) -> None:
    saved = json.loads(OUT.read_text()) if OUT.exists() else {"rows": []}
    kept = [r for r in saved["rows"] if not (r.get("part") == part and r["split"] in replace_splits)]
    saved["rows"] = kept + [{"part": part, **r} for r in rows]
    saved.setdefault("machines", {})[part] = machine()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(saved, indent=2) + "\n")


def table() -> None:
    saved = json.loads(OUT.read_text())
    rows = saved["rows"]
    summary = []
    for part in ("convention", "voices", "scratch"):
        for program in sorted({r["program"] for r in rows if r["part"] == part}):
            got = [r for r in rows if r["part"] == part and r["program"] == program]
            accuracy = [r["test_accuracy"] for r in got]
            summary.append(
                {
                    "part": part,
                    "program": program,
                    "runs": len(got),
                    "accuracy mean": statistics.mean(accuracy),
                    "min": min(accuracy),
                    "wall s (median)": statistics.median(r["wall_seconds"] for r in got),
                }
            )
    if summary:
        print_table(summary, ["part", "program", "runs", "accuracy mean", "min", "wall s (median)"])
        print()
    folds = []
    for program in sorted({r["program"] for r in rows if r["part"] == "loso"}):
        got = {
            r["split"].split(":", 1)[1]: r for r in rows if r["part"] == "loso" and r["program"] == program
        }
        accuracy = [got[s]["test_accuracy"] for s in SPEAKERS if s in got]
        row = {"program": program, **{s: got[s]["test_accuracy"] for s in SPEAKERS if s in got}}
        if accuracy:
            row |= {"mean": statistics.mean(accuracy), "worst": min(accuracy)}
            walls = [r["wall_seconds"] for r in got.values() if r.get("wall_seconds")]  # loso-peer: none
            row["wall s (median)"] = statistics.median(walls) if walls else None
        folds.append(row)
    if folds:
        print_table(folds, ["program", *SPEAKERS, "mean", "worst", "wall s (median)"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("part", choices=("convention", "voices", "loso", "loso-peer", "scratch", "table"))
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--folds", default=",".join(SPEAKERS))
    args = parser.parse_args()
    if args.part == "table":
        table()
        return
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.part == "convention":
        save("convention", pairs("takes", seeds), {"takes"})
    elif args.part == "voices":
        save("voices", pairs("takes", seeds, other=voices), {"takes"})
    elif args.part == "loso":
        rows, splits = [], set()
        for i, speaker in enumerate(args.folds.split(",")):
            splits.add(f"speaker:{speaker}")
            rows += pairs(
                f"speaker:{speaker}", seeds, flip=SPEAKERS.index(speaker) if speaker in SPEAKERS else i
            )
        save("loso", rows, splits)
    elif args.part == "loso-peer":
        rows = [r for seed in seeds for r in peer_folds(args.folds.split(","), seed)]
        save("loso", rows, {r["split"] for r in rows})
    else:
        save("scratch", scratch(seeds), {"takes"})
    table()


if __name__ == "__main__":
    main()
