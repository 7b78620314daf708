"""Decode image files into one uint8 array, skipping (and listing) files that cannot be read.

Shared by image folders and photo data sets: every picture is turned into the same
(C, S, S) shape, grey (C=1) or colour (C=3), so a whole data set fits one array.
A file Pillow cannot open or finish decoding is not a crash: it is left out and
reported with the reason, because real folders hold the odd broken download.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from nnzero.i18n import tr

## The extensions torchvision's ImageFolder accepts; other files (.DS_Store, notes.txt) are ignored.
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


def is_image_file(name: str) -> bool:
    return name.lower().endswith(IMG_EXTENSIONS)


def _is_grey(img: Image.Image) -> bool:
    """Grey modes, and palette images whose every colour has R = G = B."""
    if img.mode in _GREY_MODES:
        return True
    if img.mode in ("P", "PA"):
        palette = img.getpalette() or []
        return all(palette[i] == palette[i + 1] == palette[i + 2] for i in range(0, len(palette) - 2, 3))
    return False


@dataclass
class Probe:
    """What the file headers say, read without decoding any pixels."""

    sizes: Counter = field(default_factory=Counter)  # (width, height) -> how many files
    grey: bool = True  # every readable file is grey
    failed: dict[int, str] = field(default_factory=dict)  # index -> why it could not be opened

    def auto_size(self, fallback: int = 64) -> int:
        """The side every image already has, if all share one square size; else ``fallback``."""
        if len(self.sizes) == 1:
            ((w, h),) = self.sizes
            if w == h:
                return w
        return fallback


def probe(paths: list[str]) -> Probe:
    """Sizes and modes from the headers only (Image.open reads no pixels until asked)."""
    result = Probe()
    for i, path in enumerate(paths):
        try:
            with Image.open(path) as img:
                result.sizes[img.size] += 1
                result.grey = result.grey and _is_grey(img)
        except Exception as e:  # noqa: BLE001 - Pillow raises many kinds; every one means "skip this file"
            result.failed[i] = f"{type(e).__name__}: {e}"
    return result


def decode_image(path: str, size: int, channels: int) -> np.ndarray:
    """One file as uint8 (channels, size, size), squashed to the square as torchvision's Resize((s, s))."""
    mode = "L" if channels == 1 else "RGB"
    with Image.open(path) as img:
        if img.format == "JPEG":
            ## A JPEG can be decoded at 1/2, 1/4 or 1/8 scale almost for free; ask for the
            ## smallest scale that is still at least `size`, then resize what is left.
            img.draft(mode, (size, size))
        img = img.convert(mode)
        if img.size != (size, size):
            img = img.resize((size, size), Image.Resampling.BILINEAR)
        array = np.asarray(img, dtype=np.uint8)  # (S, S) or (S, S, 3)
    return array[None] if channels == 1 else array.transpose(2, 0, 1)  # (C, S, S)


def _decode_chunk(
    paths: list[str], size: int, channels: int, decode=decode_image
) -> tuple[np.ndarray, dict[int, str]]:
    out = np.zeros((len(paths), channels, size, size), np.uint8)  # (n, C, S, S)
    failed = {}
    for i, path in enumerate(paths):
        try:
            out[i] = decode(path, size, channels)
        except Exception as e:  # noqa: BLE001 - see probe()
            failed[i] = f"{type(e).__name__}: {e}"
    return out, failed


def default_workers(n_files: int, mean_file_bytes: float) -> int:
    """Processes to decode with: NNZERO_DECODE_WORKERS if set; else one per core (up to 8) for
    photos, where decoding dominates, and 1 for tiny files, where starting processes and sending
    arrays back costs what a second core saves (measured in docs/data.md)."""
    value = os.environ.get("NNZERO_DECODE_WORKERS", "")
    if value.isdigit():
        return max(1, int(value))
    if n_files < 256 or mean_file_bytes < 8192:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def decode_images(
    paths: list[str], size: int, channels: int, workers: int = 1, decode=decode_image
) -> tuple[np.ndarray, dict[int, str]]:
    """All files as uint8 (N, C, S, S) in order; a failed file's slot is zeros, its index in ``failed``.

    ``decode(path, size, channels)`` turns one file into (C, S, S); a module-level function, so that
    worker processes can receive it (photos use a centre crop instead of ``decode_image``'s squash).
    """
    if workers <= 1 or len(paths) < 256:
        return _decode_chunk(paths, size, channels, decode)
    out = np.zeros((len(paths), channels, size, size), np.uint8)  # (N, C, S, S)
    failed: dict[int, str] = {}
    step = -(-len(paths) // (workers * 8))  # a few chunks per worker evens out slow files
    try:
        with ProcessPoolExecutor(workers) as pool:
            starts = range(0, len(paths), step)
            jobs = [pool.submit(_decode_chunk, paths[s : s + step], size, channels, decode) for s in starts]
            for start, job in zip(starts, jobs, strict=True):
                chunk, chunk_failed = job.result()
                out[start : start + len(chunk)] = chunk
                failed.update({start + i: why for i, why in chunk_failed.items()})
    except (BrokenProcessPool, OSError) as e:
        ## On Windows and macOS, worker processes start by re-importing the main script; a
        ## script without `if __name__ == "__main__":` breaks them. One process still works.
        print(tr("decoding in one process ({e})", "改为单进程解码 ({e})", e=e), file=sys.stderr)
        return _decode_chunk(paths, size, channels, decode)
    return out, failed
