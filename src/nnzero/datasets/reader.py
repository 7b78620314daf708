"""One reader over the decode cache, for every folder of pictures (image folders and photos alike).

    found = read_files(root, prints, size=64, channels=3, params={...}, decode=decode_photo)
    found.images[i] is the picture of prints[found.kept[i]]; found.skipped lists the rest, with why

The caller lists the files (``foldertree`` or ``layouts``: which files, in which order, with
which label) and says how one file becomes a (C, S, S) array (``decode``: squash or centre
crop); this decodes them all once with one process per core, caches the array
(``datasets.cache``) and from then on answers from the cache. Files that cannot be decoded
are skipped and listed, once per process, never a crash.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnzero.datasets.cache import Cached, cached_images
from nnzero.datasets.decode import decode_image, decode_images, default_workers
from nnzero.errors import DataError
from nnzero.i18n import tr

_reported: set[str] = set()  # cache entries whose skipped files were already announced in this process


@dataclass
class Decoded:
    images: np.ndarray  # (N_ok, C, S, S) uint8, memory-mapped from the cache
    kept: np.ndarray  # (N_ok,) index of each image into the files listed
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    cache: Cached | None = None
    seconds: float = 0.0


def reason(why: str, path: str) -> str:
    """'DataError: /data/7.jpg: the file is empty' -> 'the file is empty' (the file is listed beside it)."""
    return why.removeprefix("DataError: ").removeprefix(path + ": ")


def _decode_all(root: Path, files: list[str], size: int, channels: int, decode, quiet: bool, what: str):
    start = time.perf_counter()
    paths = [os.path.join(root, f) for f in files]
    mean_bytes = float(np.mean([os.path.getsize(p) for p in paths[:200]]))
    workers = default_workers(len(paths), mean_bytes)
    if not quiet:
        print(
            tr(
                "decoding {n:,} images in {root}{what} to {c}x{s}x{s} with {w} process(es); "
                "only this once, then cached",
                "正在把 {root}{what} 中的 {n:,} 张图片解码为 {c}x{s}x{s} ({w} 个进程); 只需这一次, 之后使用缓存",
                n=len(paths),
                root=root,
                what=what,
                c=channels,
                s=size,
                w=workers,
            ),
            file=sys.stderr,
            flush=True,
        )
    images, failed = decode_images(paths, size, channels, workers, decode=decode)
    keep = np.array([i not in failed for i in range(len(paths))], bool)  # (N,)
    meta = {
        "skipped": [[files[i], reason(why, paths[i])] for i, why in sorted(failed.items())],
        "decode_seconds": round(time.perf_counter() - start, 3),
        "workers": workers,
    }
    return (images if keep.all() else images[keep]), meta  # (N_ok, C, S, S)


def read_files(
    root: str | Path,
    prints: list[tuple[str, int, int]],
    *,
    size: int,
    channels: int,
    params: dict,
    decode=decode_image,
    quiet: bool = False,
    cache_dir=None,
    what: str = "",
    report_once: bool = False,
) -> Decoded:
    """Every file of ``prints`` ((relative path, bytes, mtime) as ``cache.fingerprint`` gives them),
    decoded once with ``decode`` and cached under ``params``; DataError if none decodes. Skipped files
    are announced on every load, or (``report_once``: photos, read for train and again for test) once."""
    start = time.perf_counter()
    root = Path(root)
    files = [p for p, _, _ in prints]
    cache = cached_images(
        root, prints, params, lambda: _decode_all(root, files, size, channels, decode, quiet, what), cache_dir
    )
    skipped = [(f, why) for f, why in cache.meta["skipped"]]
    bad = {f for f, _ in skipped}
    kept = np.array([i for i, f in enumerate(files) if f not in bad], np.int64)  # (N_ok,)
    if not len(kept):
        raise DataError(
            tr(
                "none of the {n} images in {root} could be decoded; the first: {why}",
                "{root} 中的 {n} 张图片都无法解码; 第一个: {why}",
                n=len(files),
                root=root,
                why=": ".join(skipped[0]) if skipped else "-",
            )
        )
    if skipped and not quiet and not (report_once and str(cache.path) in _reported):
        _reported.add(str(cache.path))
        print(skipped_summary(skipped, len(files), root), file=sys.stderr, flush=True)
    return Decoded(cache.images, kept, skipped, cache, time.perf_counter() - start)


def skipped_summary(skipped: list[tuple[str, str]], total: int, root) -> str:
    """One line: how many files were skipped, and the first few with why."""
    shown = "; ".join(f"{f} ({why[:80]})" for f, why in skipped[:3])
    return tr(
        "skipped {k} of {n:,} files in {root} that could not be decoded: {shown}{more}",
        "跳过了 {root} 中 {n:,} 个文件里无法解码的 {k} 个: {shown}{more}",
        k=len(skipped),
        n=total,
        root=root,
        shown=shown,
        more=" ..." if len(skipped) > 3 else "",
    )
