"""How the frozen backbone runs (PyTorch, onnxruntime, bfloat16), side by side: feature speed, and what
the head scores on bfloat16 features against float32 ones.

    python benchmarks/photos_bf16.py --part speed                      # photos/s, the three runners alternated
    python benchmarks/photos_bf16.py --part speed --runners "torch fp32,onnxruntime fp32"
    python benchmarks/photos_bf16.py --part heads --sets flowers        # the head on bf16 vs fp32 features
    python benchmarks/photos_bf16.py --part heads --sets catsdogs-400 --append

speed: the frozen backbone's forward pass as feature extraction runs it (``embed_batches``: one
process per core, the photo and its mirror), on 32 real flowers decoded at each backbone's size:
PyTorch float32 (channels-last), onnxruntime float32 (the graph exported and checked in each call:
its cost is in the time), PyTorch under bfloat16 autocast, alternated (A B C C B A) so all see the
same load; images/s counts backbone passes (each view one). The CPU's bfloat16 flags (avx512_bf16, amx_bf16)
and ``has_fast_bf16`` are recorded: without them bf16 is converted in software and runs slower.

heads: whole ``nnzero train photos --precision P --fine-tune 0 --seed S --json`` commands (the
default backbone, efficientnet_lite2), P in fp32 and bf16, seeds 0-2 (three validation splits; the
same held-out test photos), on the flowers and on a seeded subset of the cats and dogs (200 a
class, linked). Features are cached per precision (a bf16 entry of its own), so each precision's
features are computed once. Writes benchmarks/results/photos_bf16.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, SHARED, machine, nnzero, print_table, run_json, save

FLOWERS = SHARED / "data" / "flowers"
CATSDOGS = SHARED / "data" / "catsdogs" / "train"
BACKBONES = {"efficientnet_lite0": 224, "efficientnet_lite1": 240, "efficientnet_lite2": 260}
SPEED_COLUMNS = ["backbone", "runner", "images/s", "ratio to torch fp32", "max rel diff"]
HEAD_COLUMNS = ["data", "precision", "seed", "acc", "logloss", "acc tta", "logloss tta", "wall s", "images/s"]


def cpu_flags() -> dict:
    """The bfloat16 flags the CPU reports, and whether torch counts them as fast bf16."""
    import torch

    from nnzero.training.device import has_fast_bf16

    flags = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
    return {f: f in flags for f in wanted} | {"has_fast_bf16": has_fast_bf16(torch.device("cpu"))}


## how the frozen backbone runs: PyTorch float32 (channels-last), onnxruntime float32, PyTorch bfloat16 autocast
RUNNERS = {
    "torch fp32": ("torch", "fp32"),
    "onnxruntime fp32": ("onnxruntime", "fp32"),
    "torch bf16": ("torch", "bf16"),
}


def speed_rows(photos: int, repeats: int, runners: list[str]) -> list[dict]:
    from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD, decode_photo
    from nnzero.models import create_model
    from nnzero.training.transfer.features import embed_batches
    from nnzero.training.transfer.onnx_backbone import ENGINE_VARIABLE

    files = sorted(p for d in sorted(FLOWERS.iterdir()) if d.is_dir() for p in sorted(d.iterdir()))
    files = files[:: max(1, len(files) // photos)][:photos]
    rows = []
    for name, size in BACKBONES.items():
        images = np.stack([decode_photo(str(f), size) for f in files])  # (P, 3, S, S)
        model = create_model(name, 5, 3, size, pretrained=True, freeze_backbone=True).eval()
        seconds, feats = {r: [] for r in runners}, {}
        for order in [runners, runners[::-1]] * repeats:  # A B C, C B A: each sees the same load
            for runner in order:
                engine, precision = RUNNERS[runner]
                os.environ[ENGINE_VARIABLE] = engine
                start = time.perf_counter()  # includes onnxruntime's export and check of the backbone
                feats[runner] = embed_batches(model, images, IMAGENET_MEAN, IMAGENET_STD, precision=precision)
                seconds[runner].append(time.perf_counter() - start)
        os.environ.pop(ENGINE_VARIABLE)
        base = runners[0]
        rate = {r: 2 * photos / float(np.median(s)) for r, s in seconds.items()}
        for r in runners:
            a, b = feats[base]["photo"], feats[r]["photo"]
            diff = float((np.linalg.norm(a - b, axis=1) / np.linalg.norm(a, axis=1)).max())
            rows.append({"backbone": name, "runner": r, "images/s": round(rate[r], 2),
                         f"ratio to {base}": round(rate[r] / rate[base], 3), "seconds": seconds[r],
                         "max rel diff": round(diff, 6) if r != base else None})  # fmt: skip
        print_table(rows[-len(runners) :], SPEED_COLUMNS)
    return rows


def catsdogs_subset(root: Path, per_class: int) -> Path:
    """A linked folder of ``per_class`` cats and dogs, a seeded draw (seed 0)."""
    rng = np.random.default_rng(0)
    for c in ("cat", "dog"):
        files = sorted(CATSDOGS.glob(f"{c}.*.jpg"))
        for i in sorted(rng.permutation(len(files))[:per_class]):
            (root / files[i].name).parent.mkdir(parents=True, exist_ok=True)
            (root / files[i].name).symlink_to(files[i])
    return root


def head_rows(name: str, data: Path, runs: Path, seeds: list[int]) -> list[dict]:
    rows = []
    for seed in seeds:
        for precision in ("fp32", "bf16"):
            cmd = nnzero(
                "train", "photos", "--data-dir", str(data), "--runs-dir", str(runs), "--fine-tune", "0"
            )
            cmd += ["--precision", precision, "--seed", str(seed), "--name", f"{name}-{precision}-{seed}"]
            result = run_json(cmd + ["--quiet", "--json"])
            rows.append({"data": name, "precision": precision, "seed": seed,
                         "acc": result["test_accuracy"], "logloss": result["test_loss"],
                         "acc tta": result["test_accuracy_tta"], "logloss tta": result["test_loss_tta"],
                         "wall s": result["wall_seconds"], "images/s": result["features"]["images_per_s"],
                         "computed": result["features"]["computed"]})  # fmt: skip
            print_table(rows[-1:], HEAD_COLUMNS)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=("speed", "heads", "both"), default="both")
    ap.add_argument("--sets", default="flowers,catsdogs-400")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--photos", type=int, default=32, help="speed: photos per pass")
    ap.add_argument("--repeats", type=int, default=1, help="speed: A B C C B A rounds")
    ap.add_argument("--runners", default=",".join(RUNNERS), help="speed: the first is the one compared to")
    ap.add_argument("--append", action="store_true", help="keep the rows of photos_bf16.json not redone")
    args = ap.parse_args()
    speed, heads = [], []
    if args.part in ("speed", "both"):
        speed = speed_rows(args.photos, args.repeats, args.runners.split(","))
    if args.part in ("heads", "both"):
        with tempfile.TemporaryDirectory(prefix="nnzero-bf16-") as tmp:
            for name in args.sets.split(","):
                data = FLOWERS if name == "flowers" else catsdogs_subset(Path(tmp) / name, 200)
                heads += head_rows(name, data, Path(tmp) / "runs", [int(s) for s in args.seeds.split(",")])
    path = RESULTS / "photos_bf16.json"
    old = json.loads(path.read_text()) if args.append and path.exists() else {}
    if old:
        speed = speed or old.get("speed", [])
        done = {r["data"] for r in heads}
        heads = [r for r in old.get("heads", []) if r["data"] not in done] + heads
    for table, columns in ((speed, SPEED_COLUMNS), (heads, HEAD_COLUMNS)):
        if table:
            print()
            print_table(table, columns)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    out = save("photos_bf16", {"machine": machine(), "cpu_flags": cpu_flags(), "load_average": load,
                               "speed": speed, "heads": heads})  # fmt: skip
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
