"""Exporting a model, and predicting with the export: whole commands timed from outside (issue 24's targets).

    flock /tmp/nnzero-cpu.lock python benchmarks/export.py              # about 4 minutes on 2 cores
    python benchmarks/export.py --repeats 1 --predict-repeats 2         # a quick check of the script

Models: the default MNIST model (`nnzero train mnist`: fastcnn, one epoch, trained here first) and
efficientnet_lite2 with a 5-class head (its shipped ImageNet weights and a seeded head: the head's
values do not change what exporting costs). Rows:
- export: `nnzero export CKPT --out DIR` (onnx) and `--format web` (onnxruntime-web already in the cache),
  each the median of --repeats whole commands; targets (2-core CPU): MNIST <= 10 s, lite2 <= 60 s.
- predict, command: `nnzero predict model.onnx PICTURE` against `nnzero predict best.pt PICTURE` on one
  real picture (a photo of a digit; a flower), alternating A B / B A, medians and their ratio.
- predict, per picture: the library in one process (OnnxPredictor against nnzero.load), 20 real pictures
  one at a time after a warm-up: the median milliseconds to prepare and answer one.
- in the browser: the web export opened from disk in headless Chromium (Playwright; skipped without it),
  `nnzeroPage.predict` on 10 real pictures: the first answer (it loads the model) and the median of the rest,
  decoding and preparation in JavaScript included.
Writes benchmarks/results/export.json.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, SHARED, machine, nnzero, print_table, run_json, save

DIGITS = REPO / "tests" / "fixtures" / "digits"
FLOWERS = SHARED / "data" / "flowers"


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=REPO)
    return time.perf_counter() - start


def checkpoints(root: Path, lite2_checkpoint: str | None) -> dict[str, Path]:
    """The default MNIST model, trained as the README says, and lite2 + a 5-class head (a trained flowers
    run given with --lite2, else the shipped ImageNet backbone with a seeded head)."""
    import torch

    from nnzero.datasets.base import input_spec
    from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD
    from nnzero.models import create_model
    from nnzero.training.checkpoint import save_checkpoint

    mnist = run_json(nnzero("train", "mnist", "--runs-dir", str(root), "--name", "mnist-default", "--json"))
    if lite2_checkpoint:
        return {
            "mnist (fastcnn)": Path(mnist["checkpoint"]),
            "efficientnet_lite2 + head": Path(lite2_checkpoint),
        }
    torch.manual_seed(0)
    lite2 = create_model("efficientnet_lite2", num_classes=5, pretrained=True).eval()
    path = root / "flowers-lite2" / "best.pt"
    path.parent.mkdir(parents=True)
    save_checkpoint(path, lite2, model_name="efficientnet_lite2", model_kwargs={"num_classes": 5},
                    classes=sorted(p.name for p in FLOWERS.iterdir() if p.is_dir()),
                    input_spec=input_spec("photos", 3, 260, IMAGENET_MEAN, IMAGENET_STD), dataset="flowers")  # fmt: skip
    return {"mnist (fastcnn)": Path(mnist["checkpoint"]), "efficientnet_lite2 + head": path}


def export_rows(name: str, ckpt: Path, root: Path, repeats: int) -> tuple[list[dict], Path]:
    rows, out = [], root / "exports" / name.split()[0]
    for fmt in ("onnx", "web"):
        seconds = [run_json(nnzero("export", str(ckpt), "--format", fmt, "--out", str(out / fmt), "--json"))["wall_seconds"]
                   for _ in range(repeats)]  # fmt: skip
        rows.append({"model": name, "what": f"nnzero export --format {fmt}", "runs": repeats,
                     "median s": statistics.median(seconds), "min s": min(seconds)})  # fmt: skip
    return rows, out / "onnx" / "model.onnx"


def predict_rows(name: str, ckpt: Path, onnx: Path, picture: Path, repeats: int) -> list[dict]:
    """Whole `nnzero predict` commands, .pt and .onnx alternated (A B, then B A) so both see the same load."""
    times = {"pt": [], "onnx": []}
    for i in range(repeats):
        order = ("pt", "onnx") if i % 2 == 0 else ("onnx", "pt")
        for kind in order:
            times[kind].append(wall(nnzero("predict", str(ckpt if kind == "pt" else onnx), str(picture))))
    pt, ox = statistics.median(times["pt"]), statistics.median(times["onnx"])
    return [{"model": name, "what": "nnzero predict best.pt (command)", "runs": repeats, "median s": pt},
            {"model": name, "what": "nnzero predict model.onnx (command)", "runs": repeats, "median s": ox,
             "ratio": round(ox / pt, 3)}]  # fmt: skip


def per_picture_rows(name: str, ckpt: Path, onnx: Path, pictures: list[Path]) -> list[dict]:
    """The library in this process: milliseconds per picture (prepare + answer), one at a time."""
    from nnzero.inference import load
    from nnzero.inference.onnx_predictor import OnnxPredictor

    rows, medians = [], {}
    for label, predictor in (
        ("nnzero.load(best.pt)", load(ckpt, device="cpu")),
        ("OnnxPredictor", OnnxPredictor(onnx)),
    ):
        predictor.predict([str(pictures[0])])  # warm-up
        ms = []
        for picture in pictures:
            start = time.perf_counter()
            predictor.predict([str(picture)])
            ms.append(1000 * (time.perf_counter() - start))
        medians[label] = statistics.median(ms)
        rows.append(
            {
                "model": name,
                "what": f"{label}.predict, per picture",
                "runs": len(ms),
                "median s": medians[label] / 1000,
            }
        )
    rows[-1]["ratio"] = round(medians["OnnxPredictor"] / medians["nnzero.load(best.pt)"], 3)
    return rows


def browser_rows(name: str, site: Path, pictures: list[Path]) -> list[dict]:
    import base64

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return []
    script = """async ([b, type]) => {
        const blob = new Blob([Uint8Array.from(atob(b), c => c.charCodeAt(0))], {type});
        const r = await nnzeroPage.predict(nnzeroPage.currentModel().name, {file: blob}, 5);
        return [r.ms, r.inference_ms];
    }"""
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto((site / "index.html").as_uri())
        page.wait_for_function("window.nnzeroPage !== undefined")
        times = [
            page.evaluate(script, [base64.b64encode(f.read_bytes()).decode(), "image/jpeg"]) for f in pictures
        ]
        browser.close()
    rest = times[1:]
    return [{"model": name, "what": "in Chromium from disk: first answer (loads the model)", "runs": 1, "median s": times[0][0] / 1000},
            {"model": name, "what": "in Chromium from disk: per picture", "runs": len(rest),
             "median s": statistics.median(t[0] for t in rest) / 1000, "min s": min(t[0] for t in rest) / 1000},
            {"model": name, "what": "in Chromium: the network alone", "runs": len(rest),
             "median s": statistics.median(t[1] for t in rest) / 1000}]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="whole export commands per format and model")
    parser.add_argument("--predict-repeats", type=int, default=6, help="whole predict commands per side")
    parser.add_argument(
        "--lite2", metavar="CKPT", help="a trained efficientnet_lite2 flowers checkpoint to use"
    )
    args = parser.parse_args()
    from nnzero.export.ort_files import ort_files

    ort_files()  # into the cache once, so the web rows time the export and not the download
    digit_photos = sorted(DIGITS.glob("d*.jpg"))
    flowers = sorted(FLOWERS.glob("*/*.jpg"))[::50][:20]
    rows = []
    with tempfile.TemporaryDirectory(prefix="nnzero-export-bench-") as tmp:
        root = Path(tmp)
        for name, ckpt in checkpoints(root, args.lite2).items():
            pictures = digit_photos if name.startswith("mnist") else flowers
            made, onnx = export_rows(name, ckpt, root, 1 if args.browser_only else args.repeats)
            if not args.browser_only:
                rows += made + predict_rows(name, ckpt, onnx, pictures[0], args.predict_repeats)
                rows += per_picture_rows(name, ckpt, onnx, (pictures * 3)[:20])
            rows += browser_rows(name, onnx.parents[1] / "web", (pictures * 2)[:10])
            print(f"{name}: done", file=sys.stderr, flush=True)
    print_table(rows, ["model", "what", "runs", "median s", "min s", "ratio"])
    if args.browser_only:
        return 0
    path = save("export", {"machine": machine(), "rows": rows, "lite2": args.lite2 or "ImageNet backbone, seeded head",
                           "targets": {"mnist export s": 10, "lite2 export s": 60}})  # fmt: skip
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
