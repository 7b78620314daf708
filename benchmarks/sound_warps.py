"""Which pitch warps to average over in evaluation: the default's networks rescored, on unseen speakers.

Test-time warps cost no training, so they are chosen on networks already trained: every finished
leave-one-speaker-out run of the default recipe that ``benchmarks/sound_recipes.py`` left in its runs
folder, its last epoch (what the default keeps), scored on all 500 clips of its held-out speaker
with each set of warps below. The test takes of FSDD's convention chose nothing.

    flock /tmp/nnzero-cpu.lock python benchmarks/sound_recipes.py default --folds all --seeds 0,1,2
    flock /tmp/nnzero-cpu.lock python benchmarks/sound_warps.py   # -> results/sound_warps.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import machine, print_table, save  # noqa: E402
from sound_recipes import FSDD  # noqa: E402

## name -> the warps averaged with the picture itself (the default: 0.9 and 1.1)
WARP_SETS = {
    "none": (),
    "0.9, 1.1 (default)": (0.9, 1.1),
    "0.85, 1.15": (0.85, 1.15),
    "0.85-1.15 (4)": (0.85, 0.9, 1.1, 1.15),
    "0.8-1.2 (4)": (0.8, 0.9, 1.1, 1.2),
    "0.85-1.15 (6)": (0.85, 0.9, 0.95, 1.05, 1.1, 1.15),
}


def default_runs(runs_dir: Path) -> dict[tuple[str, int], Path]:
    """(held-out speaker, seed) -> the newest finished run folder of the default's network (40 epochs,
    one member, no synthetic voices, no mixup, the registered soundcnn)."""
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
            and str(data.get("split", "")).startswith("speaker:")
            and (folder / "report.html").exists()  # finished: interrupted runs have no report
        ):
            found[(data["split"].split(":", 1)[1], train["seed"])] = folder
    return found


def score(folder: Path, speaker: str, pictures: dict) -> dict:
    """The held-out speaker's accuracy with each warp set, the run's last epoch (last.pt)."""
    import numpy as np
    import soundfile as sf

    import nnzero
    from nnzero.datasets.sound_pictures import clip_pictures

    predictor = nnzero.load(folder / "last.pt")
    if speaker not in pictures:
        paths = sorted((FSDD / "recordings").glob(f"*_{speaker}_*.wav"))
        clips = [sf.read(p, dtype="float32") for p in paths]
        pictures[speaker] = (
            [clip_pictures(x, rate, predictor.spec["audio"]) for x, rate in clips],
            np.array([int(p.name[0]) for p in paths]),
        )
    batches, labels = pictures[speaker]
    out = {}
    for name, warps in WARP_SETS.items():
        predictor.model.warps = warps
        guesses = np.array([predictor.probabilities(b).mean(axis=0).argmax() for b in batches])
        out[name] = round(float((guesses == labels).mean()), 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=Path, default=Path("/tmp/nnzero-sound-recipes"))
    args = parser.parse_args()
    runs, pictures, rows = default_runs(args.runs), {}, []
    for (speaker, seed), folder in sorted(runs.items()):
        rows.append(
            {"speaker": speaker, "seed": seed, "run": folder.name, **score(folder, speaker, pictures)}
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
    save("sound_warps", {"machine": machine(), "warp_sets": WARP_SETS, "runs": rows, "summary": summary})


if __name__ == "__main__":
    main()
