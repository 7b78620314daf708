"""Sound files made into pictures once, cached: the reader under every sound data set.

    load = read_clips(root, prints, labels, spec)       # every readable clip's windows as pictures
    data = picture_set(load, clips, classes, "sounds")  # an ImageSet of the chosen clips' windows

The caller lists the files (``fsdd`` or ``list_sound_tree``: which files, in which order, with which
label) and gives the recipe (``sound_pictures.sound_spec``); each file becomes one picture per window,
decoded once and cached (``datasets.cache``), keyed by every file's path, size and time and by the
recipe. A file that cannot be read, or that is silent, is skipped and listed, never a crash.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnzero.datasets.audio import is_audio_file
from nnzero.datasets.base import ImageSet, channel_stats
from nnzero.datasets.cache import Cached, cached_images
from nnzero.datasets.reader import reason, skipped_summary
from nnzero.datasets.sound_pictures import sound_file_pictures
from nnzero.errors import DataError
from nnzero.i18n import tr

PICTURES_VERSION = 3  # bump when the code that makes the pictures changes what they hold


@dataclass
class SoundLoad:
    """Every readable clip of a listing as pictures, with the clips it skipped."""

    root: Path
    files: list[str]  # every clip listed, relative to root
    labels: np.ndarray  # (n_files,) class of each listed clip
    pictures: np.ndarray  # (W, 1, S, S) uint8: the windows of the readable clips, clip after clip
    clip_of: np.ndarray  # (W,) index into ``files`` of each window
    spec: dict
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    cache: Cached | None = None
    seconds: float = 0.0

    def readable(self) -> np.ndarray:
        """Indexes into ``files`` of the clips that gave pictures."""
        return np.unique(self.clip_of)


def _picture_all(root: Path, files: list[str], spec: dict, quiet: bool, what: str):
    start = time.perf_counter()
    if not quiet:
        print(
            tr(
                "making {n:,} sound files in {root}{what} into {s}x{s} log-mel pictures; only this once, then cached",
                "正在把 {root}{what} 中的 {n:,} 个声音文件做成 {s}x{s} 的对数梅尔图; 只需这一次, 之后使用缓存",
                n=len(files),
                root=root,
                what=what,
                s=spec["size"],
            ),
            file=sys.stderr,
            flush=True,
        )
    pictures, clip_of, skipped = [], [], []
    for i, rel in enumerate(files):
        path = os.path.join(root, rel)
        try:
            found = sound_file_pictures(path, spec)  # (w, 1, S, S)
        except DataError as e:
            skipped.append([rel, reason(f"DataError: {e}", path)])
            continue
        pictures.append(found)
        clip_of.extend([i] * len(found))
    size = spec["size"]
    array = np.concatenate(pictures) if pictures else np.zeros((0, 1, size, size), np.uint8)
    meta = {"clip_of": clip_of, "skipped": skipped, "seconds": round(time.perf_counter() - start, 3)}
    return array, meta  # (W, 1, S, S)


def read_clips(
    root: str | Path,
    prints: list[tuple[str, int, int]],
    labels,
    spec: dict,
    *,
    quiet: bool = False,
    cache_dir=None,
    what: str = "",
) -> SoundLoad:
    """Pictures of every clip of ``prints`` ((relative path, bytes, mtime): ``cache.fingerprint``), made
    once and cached under ``spec``; DataError if no clip is readable. Skipped files are listed once."""
    start = time.perf_counter()
    root = Path(root)
    files = [p for p, _, _ in prints]
    cache = cached_images(
        root,
        prints,
        {"sound": PICTURES_VERSION, **spec},
        lambda: _picture_all(root, files, spec, quiet, what),
        cache_dir,
    )
    skipped = [(f, why) for f, why in cache.meta["skipped"]]
    clip_of = np.asarray(cache.meta["clip_of"], np.int64)  # (W,)
    if not len(clip_of):
        raise DataError(
            tr(
                "none of the {n} sound files in {root} could be read; the first: {why}",
                "{root} 中的 {n} 个声音文件都无法读取; 第一个: {why}",
                n=len(files),
                root=root,
                why=": ".join(skipped[0]) if skipped else "-",
            )
        )
    if skipped and not quiet and str(cache.path) not in _reported:
        _reported.add(str(cache.path))
        print(skipped_summary(skipped, len(files), root), file=sys.stderr, flush=True)
    return SoundLoad(
        root, files, np.asarray(labels, np.int64), cache.images, clip_of, spec, skipped, cache,
        time.perf_counter() - start,
    )  # fmt: skip


_reported: set[str] = set()  # cache entries whose skipped files were already announced in this process


def picture_set(load: SoundLoad, clips: np.ndarray, classes: list[str], name: str) -> ImageSet:
    """An ImageSet of the windows of ``clips`` (indexes into ``load.files``), one row per window.

    ``files`` names each window's clip, so the windows of one clip can be found together (a song's
    probabilities are averaged over its windows; a validation split keeps them on one side)."""
    chosen = np.isin(load.clip_of, clips)  # (W,)
    pictures = load.pictures[chosen]  # (w, 1, S, S)
    owners = load.clip_of[chosen]  # (w,)
    mean, std = channel_stats(load.pictures)  # the whole listing's: train and test agree
    return ImageSet(
        pictures,
        load.labels[owners],
        classes,
        name,
        "sound",
        mean,
        std,
        [os.path.join(load.root, load.files[i]) for i in owners],
        resize="squash",
        skipped=load.skipped,
        audio=load.spec,
    )


def list_sound_tree(root: Path, split: str):
    """(classes, {split: (prints, labels)}) of a folder-per-class tree of sound files."""
    from nnzero.datasets.foldertree import scan_tree

    classes, files = scan_tree(root, split, accept=is_audio_file)
    if not any(prints for prints, _ in files.values()):
        raise DataError(
            tr(
                "no sound files in {root} (looked for .wav, .flac, .ogg and .mp3 files in the class folders {classes})",
                "{root} 中没有声音文件 (在类别文件夹 {classes} 中查找 .wav、.flac、.ogg 和 .mp3 文件)",
                root=root,
                classes=", ".join(classes),
            )
        )
    return classes, files
