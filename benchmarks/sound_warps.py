"""Which pitch warps to average over in evaluation: the default's networks rescored, on unseen speakers.

Test-time warps cost no training, so they are chosen on networks already trained: every finished
leave-one-speaker-out run of the default recipe that ``benchmarks/sound_recipes.py`` left in its runs
folder, its last epoch (what the default keeps), scored on all 500 clips of its held-out speaker
with each set of warps below. The test takes of FSDD's convention chose nothing.

    flock /tmp/nnzero-cpu.lock python benchmarks/sound_recipes.py default --folds all --seeds 0,1,2
    flock /tmp/nnzero-cpu.lock python benchmarks/sound_warps.py   # -> results/sound_warps.json

``--convention``: the same for the runs of FSDD's convention that ``benchmarks/sound.py`` left
(takes 0-4 of every speaker tested). A report only: the warps are chosen on the unseen speakers.

    flock /tmp/nnzero-cpu.lock python benchmarks/sound_warps.py --convention   # -> sound_warps_convention.json
    flock /tmp/nnzero-cpu.lock python benchmarks/sound_warps.py --noise -45    # in a room -> sound_warps_noise45.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import machine, print_table, save  # noqa: E402
from sound_recipes import accuracy, clip_batches, test_clips  # noqa: E402

## name -> the warps averaged with the picture itself; "(default)" is the default these were measured
## against (0.9 and 1.1, until 2026-12-05, 21:40: since then, chosen by this table, soundcnn has none)
WARP_SETS = {
    "none": (),
    "0.9, 1.1 (default)": (0.9, 1.1),
    "0.85, 1.15": (0.85, 1.15),
    "0.85-1.15 (4)": (0.85, 0.9, 1.1, 1.15),
    "0.8-1.2 (4)": (0.8, 0.9, 1.1, 1.2),
    "0.85-1.15 (6)": (0.85, 0.9, 0.95, 1.05, 1.1, 1.15),
}


def default_runs(runs_dir: Path, convention: bool = False) -> dict[tuple[str, int], Path]:
    """(held-out speaker or "takes", seed) -> the newest finished run folder of the default's network
    (40 epochs, one member, no synthetic voices, no mixup, the registered soundcnn)."""
    found = {}
    for config in sorted(runs_dir.glob("*/config.json"), key=lambda p: p.stat().st_mtime):
        c, folder = json.loads(config.read_text()), config.parent
        train, data = c["train"], c["data"]
        if (
            c["model"]["name"] == "soundcnn"
            and c["model"].get("members") == 1  # runs older than committees were another default
            and not data.get("synthetic")
            and not train.get("mixup")
            and train["epochs"] == 40
            and (
                data.get("split") == "takes" if convention else str(data.get("split")).startswith("speaker:")
            )
            and (folder / "report.html").exists()  # finished: interrupted runs have no report
        ):
            found[(data["split"].split(":", 1)[-1], train["seed"])] = folder
    return found


def score(folder: Path, split: str, pictures: dict, noise_db: float | None = None) -> dict:
    """The test clips' accuracy with each warp set, the run's last epoch (last.pt); with ``noise_db``,
    the clips as the Listen view records them in a room (sound_recipes.in_a_room, the same noise).
    ``pictures`` keeps each split's pictures for the next run of it."""
    import nnzero

    predictor = nnzero.load(folder / "last.pt")
    if (split, noise_db) not in pictures:
        pictures[(split, noise_db)] = clip_batches(test_clips(split), predictor.spec["audio"], noise_db)
    out = {}
    for name, warps in WARP_SETS.items():
        predictor.model.warps = warps
        out[name] = accuracy(predictor, *pictures[(split, noise_db)])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=Path, help="default: sound_recipes.py's or sound.py's runs folder")
    parser.add_argument("--convention", action="store_true", help="FSDD convention's runs (a report only)")
    parser.add_argument(
        "--noise", type=float, metavar="DB", help="the clips in a room, noise DB under the peak"
    )
    args = parser.parse_args()
    where = Path("/tmp/nnzero-sound-bench" if args.convention else "/tmp/nnzero-sound-recipes")
    runs, pictures, rows = default_runs(args.runs or where, args.convention), {}, []
    for (split, seed), folder in sorted(runs.items()):
        rows.append(
            {"split": split, "seed": seed, "run": folder.name, **score(folder, split, pictures, args.noise)}
        )
        print(json.dumps(rows[-1]), flush=True)
    summary = [
        {
            "warps": name,
            "runs": len(rows),
            "mean": round(sum(r[name] for r in rows) / len(rows), 4),
            "worst run": min(r[name] for r in rows),
            "better than default": sum(r[name] > r["0.9, 1.1 (default)"] for r in rows),
            "worse": sum(r[name] < r["0.9, 1.1 (default)"] for r in rows),
        }
        for name in WARP_SETS
    ]
    print_table(summary, list(summary[0]))
    name = (
        "sound_warps"
        + ("_convention" if args.convention else "")
        + (f"_noise{-args.noise:g}" if args.noise else "")
    )
    save(
        name,
        {"machine": machine(), "warp_sets": WARP_SETS, "runs": rows, "summary": summary},
    )


if __name__ == "__main__":
    main()
