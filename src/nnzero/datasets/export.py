"""Write an IDX data set out as PNG files in folders named after the class (the course's habit).

    DIR/train/<class>/<n>.png  and  DIR/test/<class>/<n>.png

``n`` is the image's index in the original file, so every PNG can be traced back.
When all is written, DIR/.nnzero-export.json records what the folder holds; running
the same export again finds it and writes nothing.
"""

from __future__ import annotations

import json
import struct
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

from nnzero.datasets.mnist import SPLITS, known_dataset, load_arrays
from nnzero.errors import DataError
from nnzero.i18n import tr
from nnzero.rundir import write_json

MARKER = ".nnzero-export.json"


def png_bytes(image: np.ndarray) -> bytes:
    """A grey uint8 (H, W) image as a PNG file's bytes.

    ## A PNG is an 8-byte signature and then chunks (length, type, data, CRC): IHDR
    ## says width, height, bit depth 8 and colour type 0 (grey); IDAT holds the rows,
    ## each prefixed with filter byte 0 ("none"), compressed with zlib; IEND closes.
    ## Writing it directly is about twice as fast as going through Pillow for tiny images.
    """
    h, w = image.shape
    rows = np.zeros((h, w + 1), np.uint8)  # (H, 1 + W): filter byte, then the pixels
    rows[:, 1:] = image

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
        + chunk(b"IEND", b"")
    )


def class_folder(name: str) -> str:
    """A class name as a folder name ('T-shirt/top' -> 'T-shirt-top')."""
    return name.replace("/", "-").replace("\\", "-").strip() or "_"


def planned_counts(dataset: str, data_dir: str | None, limit: int | None) -> dict[str, int]:
    return {s: min(len(load_arrays(s, dataset, data_dir)[1]), limit or 10**12) for s in SPLITS}


def existing_export(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _png_path(folder: Path, split: str, names: list[str], labels: np.ndarray, i: int) -> Path:
    width = len(str(len(labels) - 1))
    return folder / split / names[labels[i]] / f"{i:0{width}d}.png"


def is_complete(folder: Path, dataset: str, data_dir: str | None, counts: dict[str, int]) -> bool:
    """The marker says this very export and its PNGs are all there; a smaller or larger earlier
    export of the same data set has its extra files removed (its marker too)."""
    marker = existing_export(folder)
    if not marker:
        return False
    if marker.get("counts") == counts:
        return all(sum(1 for _ in (folder / s).glob("*/*.png")) >= n for s, n in counts.items())
    names = [class_folder(c) for c in known_dataset(dataset).classes]
    for split, old_n in marker.get("counts", {}).items():
        labels = load_arrays(split, dataset, data_dir)[1]
        for i in range(counts.get(split, 0), min(old_n, len(labels))):
            _png_path(folder, split, names, labels, i).unlink(missing_ok=True)
    (folder / MARKER).unlink()
    return False


def export_split(
    folder: Path, dataset: str, split: str, data_dir: str | None, limit: int | None, progress=None
) -> int:
    """Write one split's PNGs (overwriting any with the same names); returns how many."""
    ds = known_dataset(dataset)
    images, labels = load_arrays(split, dataset, data_dir)  # (N, 28, 28), (N,)
    n = min(len(labels), limit or len(labels))
    names = [class_folder(c) for c in ds.classes]
    for name in names:
        (folder / split / name).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        _png_path(folder, split, names, labels, i).write_bytes(png_bytes(images[i]))
        if progress and (i + 1) % 10000 == 0:
            progress(split, i + 1, n)
    return n


def export_idx(
    dataset: str, folder: str | Path, data_dir: str | None = None, limit: int | None = None, progress=None
) -> dict:
    """Export both splits unless the folder already holds exactly this export; returns a summary."""
    folder = Path(folder)
    old = (existing_export(folder) or {}).get("dataset", dataset)
    if old != dataset:
        raise DataError(
            tr(
                "{folder} already holds an export of {old}; choose another --to, or delete it first",
                "{folder} 已有 {old} 的导出; 请换一个 --to, 或先删除它",
                folder=folder,
                old=old,
            )
        )
    counts = planned_counts(dataset, data_dir, limit)
    start = time.perf_counter()
    if is_complete(folder, dataset, data_dir, counts):
        return {
            "dataset": dataset,
            "to": str(folder),
            "counts": counts,
            "written": 0,
            "skipped": True,
            "seconds": round(time.perf_counter() - start, 3),
        }
    written = sum(export_split(folder, dataset, s, data_dir, limit, progress) for s in SPLITS)
    write_json(
        folder / MARKER,
        {
            "dataset": dataset,
            "counts": counts,
            "limit": limit,
            "classes": [class_folder(c) for c in known_dataset(dataset).classes],
        },
    )
    seconds = time.perf_counter() - start
    return {
        "dataset": dataset,
        "to": str(folder),
        "counts": counts,
        "written": written,
        "skipped": False,
        "seconds": round(seconds, 3),
        "images_per_second": round(written / max(seconds, 1e-9)),
    }


def trial_export(dataset: str, data_dir: str | None, n: int = 20) -> tuple[int, bool]:
    """Export ``n`` images per split to a temporary folder, read one back with Pillow, delete it all.

    Returns (PNGs written, whether the PNG read back holds exactly the original pixels).
    """
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="nnzero-export-") as tmp:
        result = export_idx(dataset, tmp, data_dir, n)
        first = sorted(Path(tmp, "train").glob("*/*.png"))[0]
        original = load_arrays("train", dataset, data_dir)[0][int(first.stem)]  # (28, 28)
        with Image.open(first) as img:
            same = np.array_equal(np.asarray(img), original)
    return result["written"], bool(same)


def export_plan(dataset: str, to: str, data_dir: str | None, limit: int | None) -> dict:
    """A dry run of ``export_idx``: the counts it would write, and a trial of a few PNGs read back."""
    written, same = trial_export(dataset, data_dir)
    return {
        "dataset": dataset,
        "to": str(to),
        "counts": planned_counts(dataset, data_dir, limit),
        "written": 0,
        "dry_run": True,
        "trial_written": written,
        "trial_read_back_equal": bool(same),
    }
