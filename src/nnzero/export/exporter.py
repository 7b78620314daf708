"""``nnzero export``: a checkpoint as files that predict the same without nnzero (ONNX, or a web page).

    from nnzero.export import export_model
    result = export_model("runs/NAME/best.pt", "export/", fmt="onnx")     # or fmt="web"
    result["check"]            # {"images": 32, "same_top1": 32, "max_abs_diff": 3e-07}

Writes model.onnx, preprocess.json, labels.txt and MODEL_CARD.md (and, for "web", a page that runs the
model in the browser). Before anything is kept, onnxruntime and PyTorch classify the same real images
and must agree (same top class, probabilities within ``TOLERANCE``), or nothing is written. The folder
appears whole or not at all: files are written to a hidden folder beside it, then renamed.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from nnzero import __version__
from nnzero.errors import NnzeroError
from nnzero.export.card import model_card, write_labels
from nnzero.export.onnx_graph import write_onnx
from nnzero.i18n import tr
from nnzero.inference.onnx_predictor import METADATA_KEY, PREPROCESS, OnnxPredictor
from nnzero.inference.predictor import Predictor
from nnzero.inference.preprocess_file import preprocess_document
from nnzero.training.checkpoint import load_checkpoint

FORMATS = ("onnx", "web")
TOLERANCE = 1e-4  # max |probability difference| between onnxruntime and PyTorch on the check images
CHECK_IMAGES = 32


def load_any(source: str | Path, workdir: Path) -> dict:
    """A checkpoint from a .pt, a run folder, or a NumPy-engine model.npz (converted through scratch export)."""
    source = Path(source)
    npz = source / "model.npz" if source.is_dir() and not (source / "best.pt").exists() else source
    if npz.suffix == ".npz" and npz.exists():
        from nnzero.training.scratch_export import export_checkpoint

        export_checkpoint(npz, workdir / "scratch.pt")
        ckpt = load_checkpoint(workdir / "scratch.pt")
        ckpt["path"] = str(npz)  # the run it came from (its folder names the model on the web page)
        return ckpt
    return load_checkpoint(source)


def check_images(spec: dict, n: int = CHECK_IMAGES) -> np.ndarray:
    """n real MNIST test digits as prepared uint8 input (n, C, H, W) for ``spec``: photo models get them
    resized and in colour. Real pictures, so the check covers the values the network really meets."""
    from PIL import Image

    from nnzero.datasets.mnist import load_arrays

    digits = load_arrays("test")[0][:n]  # (n, 28, 28) uint8
    size, channels = spec["size"], spec["channels"]
    if size != 28:
        digits = np.stack(
            [np.asarray(Image.fromarray(d).resize((size, size), Image.Resampling.BILINEAR)) for d in digits]
        )
    return np.repeat(digits[:, None], channels, axis=1)  # (n, C, size, size)


def compare(torch_probs: np.ndarray, onnx_probs: np.ndarray) -> dict:
    """How closely the two runtimes agree: images, same top-1 count, max |difference|."""
    same = int((torch_probs.argmax(1) == onnx_probs.argmax(1)).sum())
    return {
        "images": len(torch_probs),
        "same_top1": same,
        "max_abs_diff": float(np.abs(torch_probs - onnx_probs).max()),
    }


def _check(predictor: Predictor, staging: Path, n: int) -> dict:
    images = check_images(predictor.spec, n)
    check = compare(
        predictor.probabilities(images), OnnxPredictor(staging / "model.onnx").probabilities(images)
    )
    if check["same_top1"] < check["images"] or check["max_abs_diff"] > TOLERANCE:
        raise NnzeroError(
            tr(
                "export check failed: onnxruntime and PyTorch differ on real images (top-1 equal on {s} "
                "of {n}, max |probability difference| {d:.3g} > {t}); nothing was written",
                "导出检验失败: onnxruntime 与 PyTorch 在真实图像上结果不同 ({n} 张中 {s} 张 top-1 相同, "
                "概率最大差 {d:.3g} > {t}); 没有写入任何文件",
                s=check["same_top1"], n=check["images"], d=check["max_abs_diff"], t=TOLERANCE,
            )
        )  # fmt: skip
    return check


def _target(out: Path) -> None:
    """``out`` may be new, empty, or an earlier export (replaced); anything else is refused."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / PREPROCESS).is_file())):
        raise NnzeroError(
            tr(
                "{out} exists and is not an earlier export; choose a new folder for --out",
                "{out} 已存在且不是之前的导出结果; 请为 --out 选择一个新文件夹",
                out=out,
            )
        )


def _publish(staging: Path, out: Path) -> None:
    """Put the finished folder in ``out``'s place: rename, after moving an earlier export aside."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{time.time_ns()}")
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export_model(
    checkpoint: str | Path,
    out: str | Path,
    fmt: str = "onnx",
    *,
    dry_run: bool = False,
    check: int = CHECK_IMAGES,
    web_options: dict | None = None,
) -> dict:
    """Export ``checkpoint`` into the folder ``out``; ``dry_run`` does everything but keep the files.

    ``web_options`` (fmt "web"): ``ort_dir`` (a local copy of onnxruntime-web), ``registries`` (npm
    registries to fetch it from), ``cache_dir``. Returns what was done, with timings in seconds.
    """
    if fmt not in FORMATS:
        raise NnzeroError(tr("--format must be one of {f}", "--format 必须是 {f} 之一", f=", ".join(FORMATS)))
    out = Path(out)
    _target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    staging = out.with_name(
        f".{out.name}.{os.getpid()}-{time.time_ns()}"
    )  # beside it: the rename stays on one disk
    staging.mkdir()
    try:
        ckpt = load_any(checkpoint, staging)
        (staging / "scratch.pt").unlink(missing_ok=True)
        predictor = Predictor(ckpt, "cpu")
        doc = preprocess_document(predictor.spec, predictor.classes)
        (staging / PREPROCESS).write_text(
            json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        meta = {METADATA_KEY: json.dumps(doc, ensure_ascii=False), "nnzero.model_name": ckpt["model_name"],
                "nnzero.version": __version__}  # fmt: skip
        graph = write_onnx(
            predictor.model, predictor.spec["channels"], predictor.spec["size"], staging / "model.onnx", meta
        )
        exported = time.perf_counter()
        result = {"format": fmt, "checkpoint": ckpt["path"], "model_name": ckpt["model_name"], "kind": doc["kind"],
                  "graph": graph}  # fmt: skip
        result["check"] = _check(predictor, staging, 2 if dry_run else check)
        write_labels(staging / "labels.txt", predictor.classes)
        (staging / "MODEL_CARD.md").write_text(
            model_card(ckpt, doc, result["check"], graph), encoding="utf-8"
        )
        if fmt == "web":
            from nnzero.export.web import write_web

            result["web"] = write_web(staging, ckpt, doc, dry_run=dry_run, **(web_options or {}))
        result["files"] = sorted(p.name for p in staging.iterdir())
        result["seconds"] = {
            "onnx": round(exported - start, 2),
            "total": round(time.perf_counter() - start, 2),
        }
        result["out"] = None if dry_run else str(out)
        if not dry_run:
            _publish(staging, out)
        return result
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def export_zip(checkpoint: str | Path, fmt: str = "web", **options) -> tuple[bytes, dict]:
    """The export as one .zip in memory, its files in a folder named after the format: what a page's
    download button sends (the Teach page's export). ``options`` as for ``export_model``."""
    with tempfile.TemporaryDirectory(prefix="nnzero-export-") as tmp:
        out = Path(tmp) / f"nnzero-{fmt}"
        result = export_model(checkpoint, out, fmt, **options)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.iterdir()):
                archive.write(path, f"{out.name}/{path.name}")
    return buffer.getvalue(), result
