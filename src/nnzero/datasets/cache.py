"""Decoded images cached as .npy arrays, so a folder of pictures is decoded only once.

## Decoding a PNG or JPEG costs far more than reading the same pixels from an array on
## disk. So the first load decodes every file and saves one uint8 array; later loads
## memory-map it (the pixels are read from disk only when used) and decode nothing.

An entry is named by a hash of what it was made from: every file's relative path,
size and modification time, plus the settings (image size, channels, ...). Change,
add or remove one picture and the hash changes, so a stale array is never used.
Files are written under temporary names and renamed, the .json last: an entry whose
.json exists is complete. The .json records the array file's size and CRC-32, checked
before each use: a file cut short or altered since is reported in one line and rebuilt,
never used. Older entries for the same folder and settings are removed.

Where: ``NNZERO_CACHE_DIR`` if set, else ``<data_dir>/.nnzero-cache`` if the folder is
writable, else ``~/.cache/nnzero`` (``$XDG_CACHE_HOME/nnzero``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnzero.i18n import tr

FORMAT = 2  # bump when the meaning of a cached array changes (2: size and CRC-32 recorded)
CACHE_FOLDER = ".nnzero-cache"


def _writable(folder: Path) -> bool:
    """Writable, and not marked read-only: root passes os.access everywhere, so the mode bits count too."""
    try:
        return os.access(folder, os.W_OK) and bool(folder.stat().st_mode & 0o222)
    except OSError:
        return False


def default_cache_dir(data_dir: str | Path) -> Path:
    if os.environ.get("NNZERO_CACHE_DIR"):
        return Path(os.environ["NNZERO_CACHE_DIR"])
    data_dir = Path(data_dir)
    local = data_dir / CACHE_FOLDER
    if local.is_dir() and _writable(local) or not local.exists() and _writable(data_dir):
        return local
    return user_cache_dir()


def user_cache_dir() -> Path:
    """``NNZERO_CACHE_DIR`` if set, else ``~/.cache/nnzero`` (``$XDG_CACHE_HOME/nnzero``): for what no folder owns."""
    if os.environ.get("NNZERO_CACHE_DIR"):
        return Path(os.environ["NNZERO_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnzero"


def fingerprint(root: str | Path, rel_paths: list[str]) -> list[tuple[str, int, int]]:
    """(relative path, bytes, modification time in ns) of each file; a stat, no reading."""
    out = []
    for rel in rel_paths:
        st = os.stat(os.path.join(root, rel))
        out.append((rel, st.st_size, st.st_mtime_ns))
    return out


def _hash(obj) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Cached:
    images: np.ndarray  # (N, C, H, W) uint8, memory-mapped when it came from the cache
    meta: dict  # whatever the builder recorded (e.g. files it skipped, the size it chose)
    hit: bool  # True: read from the cache, nothing decoded
    path: Path  # the .npy file


def _entry(cache_dir: Path, root: Path, params: dict, prints: list) -> tuple[str, str]:
    """(slot, name): slot is this folder + settings, name adds the files' fingerprint."""
    inside = cache_dir.resolve().parent == root.resolve()
    slot = _hash({"params": params, "root": None if inside else str(root.resolve())})[:12]
    files = hashlib.sha256("\n".join(f"{p}\t{s}\t{m}" for p, s, m in sorted(prints)).encode()).hexdigest()
    key = _hash({"format": FORMAT, "params": params, "files": files})[:24]
    return slot, f"{slot}-{key}"


def integrity(path: str | Path) -> dict:
    """What a file is now: ``{"bytes": size, "crc32": checksum}`` (for any cache file, arrays or features).

    ## CRC-32 reads the file once at several GB/s; the pages it reads stay in the OS cache, where the
    ## training that follows reads them again, so the check costs little more than the first epoch's reads.
    """
    crc, size = 0, 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
    return {"bytes": size, "crc32": f"{crc:08x}"}


def intact(path: str | Path, recorded: dict | None) -> bool:
    """Whether ``path`` is still what ``integrity`` recorded: same size (a stat) and same checksum."""
    if not recorded or "bytes" not in recorded or "crc32" not in recorded:
        return False
    try:
        if os.stat(path).st_size != recorded["bytes"]:
            return False
        return integrity(path)["crc32"] == recorded["crc32"]
    except OSError:
        return False


def report_damaged(path: Path) -> None:
    print(
        tr(
            "cache file {path} is damaged (cut short or altered): rebuilding it",
            "缓存文件 {path} 已损坏 (被截断或被修改): 正在重建",
            path=path,
        ),
        file=sys.stderr,
    )


def load_entry(cache_dir: Path, name: str) -> tuple[np.ndarray, dict] | None:
    """The array (memory-mapped, copy-on-write) and its meta, or None if absent or damaged."""
    npy = cache_dir / f"{name}.npy"
    try:
        meta = json.loads((cache_dir / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not intact(npy, meta.get("integrity")):
        report_damaged(npy)
        return None
    try:
        ## mmap_mode="c": pages are read lazily and writes stay in memory, so the array is
        ## writable (torch.from_numpy accepts it) while the file on disk never changes.
        images = np.load(npy, mmap_mode="c")
    except (OSError, ValueError):
        report_damaged(npy)
        return None
    if list(images.shape) != meta.get("shape") or images.dtype != np.uint8:
        return None
    return images, meta


def save_entry(cache_dir: Path, name: str, images: np.ndarray | None, meta: dict, slot: str) -> Path:
    """Write atomically (temporary names, then rename, .json last); drop older entries of ``slot``."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    npy, js = cache_dir / f"{name}.npy", cache_dir / f"{name}.json"
    tmp_npy = cache_dir / f".{name}.{os.getpid()}.npy.tmp"
    tmp_js = cache_dir / f".{name}.{os.getpid()}.json.tmp"
    try:
        if images is not None:
            with open(tmp_npy, "wb") as f:
                np.save(f, np.ascontiguousarray(images))
                f.flush()
                os.fsync(f.fileno())
            meta = {**meta, "shape": list(images.shape), "integrity": integrity(tmp_npy)}
        tmp_js.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        if images is not None:
            os.replace(tmp_npy, npy)
        os.replace(tmp_js, js)
    finally:
        tmp_npy.unlink(missing_ok=True)
        tmp_js.unlink(missing_ok=True)
    for old in cache_dir.glob(f"{slot}-*"):
        if old.stem != name:
            try:
                old.unlink()
            except OSError:  # e.g. still memory-mapped by another process on Windows; harmless
                pass
    return npy


def _warn_unwritable(path: Path, e: OSError) -> None:
    print(
        tr(
            "warning: could not write the cache {path} ({e}); the next load decodes again "
            "(set NNZERO_CACHE_DIR to a writable folder)",
            "警告: 无法写入缓存 {path} ({e}); 下次加载会重新解码 (可设置 NNZERO_CACHE_DIR 为可写的文件夹)",
            path=path,
            e=e,
        ),
        file=sys.stderr,
    )


def cached_meta(
    root: str | Path,
    prints: list,
    params: dict,
    build,
    cache_dir: str | Path | None = None,
) -> tuple[dict, bool]:
    """A small JSON-able answer (e.g. what the file headers say) cached like the arrays: (answer, hit)."""
    root = Path(root)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir(root)
    slot, name = _entry(cache_dir, root, params, prints)
    try:
        return json.loads((cache_dir / f"{name}.json").read_text(encoding="utf-8")), True
    except (OSError, ValueError):
        pass
    meta = build()
    try:
        save_entry(cache_dir, name, None, meta, slot)
    except OSError as e:
        _warn_unwritable(cache_dir / f"{name}.json", e)
    return meta, False


def cached_images(
    root: str | Path,
    prints: list,
    params: dict,
    build,
    cache_dir: str | Path | None = None,
) -> Cached:
    """The cached array for these files and settings, or ``build()`` -> (images, meta), saved.

    ``prints`` is ``fingerprint(root, files)``; ``params`` must hold every setting that
    changes the pixels (JSON-serialisable). If the cache cannot be written (read-only
    disk, full disk) the freshly built array is still returned.
    """
    root = Path(root)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir(root)
    slot, name = _entry(cache_dir, root, params, prints)
    found = load_entry(cache_dir, name)
    if found is not None:
        return Cached(found[0], found[1], True, cache_dir / f"{name}.npy")
    images, meta = build()
    try:
        path = save_entry(cache_dir, name, images, meta, slot)
    except OSError as e:
        path = cache_dir / f"{name}.npy"
        _warn_unwritable(path, e)
    return Cached(images, meta, False, path)


def is_cached(root: str | Path, prints: list, params: dict, cache_dir: str | Path | None = None) -> bool:
    """Whether cached_images would answer from the cache for these files and settings."""
    root = Path(root)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir(root)
    return (cache_dir / f"{_entry(cache_dir, root, params, prints)[1]}.json").exists()
