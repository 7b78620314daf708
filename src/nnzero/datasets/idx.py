"""Read IDX files, the format of MNIST and Fashion-MNIST (gzip-compressed or plain).

The header is 4 magic bytes (0, 0, type code, number of dimensions), then one
big-endian uint32 per dimension, then the values in C order.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from nnzero.errors import DataError

# IDX type codes -> NumPy dtypes (big-endian where it matters)
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when its name ends in .gz."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except FileNotFoundError:
        raise
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(
            f"{path}: cannot be decompressed ({e}); the file is damaged, download it again"
        ) from e


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """The array an IDX byte string holds; DataError if the header or length is wrong."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise DataError(
            f"{source}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'}); "
            "expected e.g. 00000803 for images or 00000801 for labels"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{source}: truncated IDX header; download the file again")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "longer than its header says"
        raise DataError(
            f"{source}: {what} ({len(raw):,} bytes, header {shape} needs {expected:,}); "
            "download the file again"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(shape)


def read_idx(path: str | Path) -> np.ndarray:
    path = Path(path)
    return parse_idx(read_bytes(path), str(path))
