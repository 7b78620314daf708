"""Files that are either whole or absent: write a temporary file beside the target, fsync it, rename it.

    from nnzero.atomic import write_atomic
    write_atomic("runs/x/config.json", lambda f: f.write(b"{}"))

## A rename within one folder is atomic on every system nnzero runs on (POSIX rename, Windows
## MoveFileEx through ``os.replace``): a reader sees the old file or the new one, never half of one.
## The fsync before it makes sure the new file's bytes are on disk before its name is, so a power cut
## or a kill -9 cannot leave the new name pointing at a half-written file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomic(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write(f)`` on a temporary binary file, then put it in ``path``'s place in one step."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _sync_folder(path.parent)
    return path


def write_bytes(path: str | Path, data: bytes) -> Path:
    return write_atomic(path, lambda f: f.write(data))


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no directory handles to sync)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
