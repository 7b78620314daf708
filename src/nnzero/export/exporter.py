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
import os
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from nnzero.errors import NnzeroError
from nnzero.export.onnx_files import CHECK_IMAGES, write_onnx_files
from nnzero.i18n import tr
from nnzero.inference.onnx_predictor import PREPROCESS
from nnzero.training.checkpoint import load_checkpoint

FORMATS = ("onnx", "web")


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


def _exportable(ckpt: dict) -> None:
    """A sound model is not exported yet: its export would need the spectrogram outside nnzero."""
    if ckpt.get("input_spec", {}).get("kind") == "sound":
        raise NnzeroError(
            tr(
                "{p}: a sound model cannot be exported yet (its export would need the log-mel spectrogram "
                "outside nnzero); use `nnzero predict` or `nnzero serve`",
                "{p}: 声音模型暂时不能导出 (导出结果需要在 nnzero 之外计算对数梅尔频谱图); "
                "请使用 `nnzero predict` 或 `nnzero serve`",
                p=ckpt.get("path", "checkpoint"),
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
    start = time.perf_counter()
    if dry_run:  # somewhere temporary: a dry run leaves no trace, not even --out's parent folders
        staging = Path(tempfile.mkdtemp(prefix="nnzero-export-"))
    else:  # beside --out, so that the final rename stays on one disk
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = out.with_name(f".{out.name}.{os.getpid()}-{time.time_ns()}")
        staging.mkdir()
    try:
        ckpt = load_any(checkpoint, staging)
        (staging / "scratch.pt").unlink(missing_ok=True)
        _exportable(ckpt)
        made = write_onnx_files(ckpt, staging, 2 if dry_run else check)
        doc = made.pop("preprocess")
        result = {"format": fmt, "checkpoint": ckpt["path"], "model_name": ckpt["model_name"]} | made
        exported = time.perf_counter()
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
