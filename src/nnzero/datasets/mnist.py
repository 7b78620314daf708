"""MNIST and Fashion-MNIST: the known files, their checksums, mirrors, and loading.

MNIST's four original files ship inside the package (CC BY-SA 3.0, Yann LeCun and
Corinna Cortes; LeCun et al. 1998, Proc. IEEE 86(11)), so training needs no network.
Any directory holding the files (``.gz`` or gunzipped) works too.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnzero.datasets.base import ImageSet
from nnzero.datasets.idx import parse_idx, read_bytes
from nnzero.errors import DataError
from nnzero.i18n import tr

SHIPPED = Path(__file__).resolve().parent / "_mnist"
SPLITS = ("train", "test")


@dataclass(frozen=True)
class IdxDataset:
    name: str
    files: dict[str, str]  # file name -> md5 of the .gz as distributed
    mirrors: tuple[str, ...]  # base URLs, tried in order
    classes: tuple[str, ...]
    mean: float
    std: float

    def file_names(self, split: str) -> tuple[str, str]:
        prefix = "train" if split == "train" else "t10k"
        return f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"


KNOWN = {
    "mnist": IdxDataset(
        "mnist",
        {
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
        (
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        tuple(str(d) for d in range(10)),
        0.1307,
        0.3081,
    ),
    "fashion-mnist": IdxDataset(
        "fashion-mnist",
        {
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        0.2860,
        0.3530,
    ),
}


def known_dataset(name: str) -> IdxDataset:
    if name not in KNOWN:
        raise DataError(f"unknown IDX data set {name!r}; known: {', '.join(KNOWN)}")
    return KNOWN[name]


def md5_of(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _fix_hint(ds: IdxDataset, folder: Path) -> str:
    return tr(
        "fix: run `nnzero data fetch {name} --to {folder}`",
        "解决办法: 运行 `nnzero data fetch {name} --to {folder}`",
        name=ds.name,
        folder=folder,
    )


def _read_checked(ds: IdxDataset, folder: Path, gz_name: str) -> np.ndarray:
    """Read one file from ``folder`` as .gz (md5 checked) or gunzipped (header checked)."""
    gz, plain = folder / gz_name, folder / gz_name[:-3]
    if gz.exists():
        raw_gz = gz.read_bytes()
        if md5_of(raw_gz) != ds.files[gz_name]:
            raise DataError(
                tr(
                    "{path}: md5 {got} does not match the published {want}; the file is damaged "
                    "or not {name}. ",
                    "{path}: md5 {got} 与公布的 {want} 不符, 文件已损坏或不是 {name}。 ",
                    path=gz,
                    got=md5_of(raw_gz),
                    want=ds.files[gz_name],
                    name=ds.name,
                )
                + _fix_hint(ds, folder)
            )
        return parse_idx(read_bytes(gz), str(gz))
    if plain.exists():
        return parse_idx(read_bytes(plain), str(plain))
    raise DataError(tr("{path}: file not found. ", "{path}: 找不到文件。 ", path=gz) + _fix_hint(ds, folder))


@functools.lru_cache(maxsize=4)
def load_arrays(
    split: str, dataset: str = "mnist", data_dir: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (N, 28, 28) and int64 labels (N,) of the 'train' or 'test' split."""
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    ds = known_dataset(dataset)
    if data_dir is None:
        if dataset != "mnist":
            raise DataError(
                tr(
                    "{name} is not shipped with nnzero: pass --data-dir DIR (get the files with "
                    "`nnzero data fetch {name} --to DIR`)",
                    "nnzero 未自带 {name}: 请用 --data-dir DIR 指定 (用 `nnzero data fetch {name} --to DIR` 下载)",
                    name=dataset,
                )
            )
        folder = SHIPPED
    else:
        folder = Path(data_dir)
    image_file, label_file = ds.file_names(split)
    images = _read_checked(ds, folder, image_file)  # (N, 28, 28) uint8
    labels = _read_checked(ds, folder, label_file).astype(np.int64)  # (N,)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(f"{folder}: {image_file} holds {images.shape} but {label_file} holds {labels.shape}")
    return images, labels


def load_idx_dataset(split: str, dataset: str = "mnist", data_dir: str | None = None) -> ImageSet:
    ds = known_dataset(dataset)
    images, labels = load_arrays(split, dataset, data_dir)
    return ImageSet(
        images[:, None],
        labels,
        list(ds.classes),
        dataset,
        "digits" if dataset == "mnist" else "items",
        (ds.mean,),
        (ds.std,),
    )
