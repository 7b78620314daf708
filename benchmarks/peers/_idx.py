"""Read MNIST's four original IDX files (gzip) into NumPy, for the peer programs in this folder.

The same reader as ../shared/baselines/_mnist.py, pointed at the copy nnzero ships
(src/nnzero/datasets/_mnist/) unless MNIST_DIR says otherwise. The peers do not import
nnzero: they are the programs nnzero is measured against.
"""

import gzip
import os
from pathlib import Path

import numpy as np

SHIPPED = Path(__file__).resolve().parents[2] / "src" / "nnzero" / "datasets" / "_mnist"
DATA = Path(os.environ.get("MNIST_DIR", SHIPPED))
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def _idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load(split: str) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (N, 28, 28) and int64 labels (N,) of 'train' or 'test'."""
    images, labels = FILES[split]
    return _idx(DATA / images), _idx(DATA / labels).astype(np.int64)
