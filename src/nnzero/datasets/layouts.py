"""Which photos a folder holds and what each one shows, for the layouts people download, detected automatically.

    kaggle      DIR/cat.0.jpg  DIR/dog.0.jpg ...         label from the name (Kaggle's train.zip)
    unlabelled  DIR/1.jpg  DIR/2.jpg ...                 an id in the name, no label (Kaggle's test.zip)
    folders     DIR/<class>/*.jpg                        one folder per class: any names, any number
    petimages   DIR/PetImages/Cat/*.jpg, .../Dog/*.jpg   Microsoft's download (folders, one level down)

Any of them may also sit in split folders: DIR/train/ for training, and a labelled DIR/test/ or
DIR/val/ beside it, which then is the held-out set. An unlabelled DIR/test/ or DIR/test1/ is a
Kaggle test set: it is for `nnzero submit`, not for training. Listing opens no file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from nnzero.datasets.decode import is_image_file
from nnzero.datasets.foldertree import find_classes, list_images
from nnzero.errors import DataError
from nnzero.i18n import tr

LABELLED_NAME = re.compile(r"^([A-Za-z]+)\.(\d+)\.[^.]+$")  # cat.123.jpg
ID_NAME = re.compile(r"^(\d+)\.[^.]+$")  # 123.jpg
HELD_OUT_DIRS = ("test", "val", "valid", "validation")  # the first labelled one is the held-out set


@dataclass
class PhotoList:
    """The photos of a folder: paths relative to ``root``, labels (-1: unknown), class names."""

    root: Path
    layout: str  # kaggle | unlabelled | folders | petimages
    files: list[str]
    labels: list[int]
    classes: list[str]
    held_out: list[bool] = field(default_factory=list)  # True: from a labelled test/val folder

    @property
    def labelled(self) -> bool:
        return self.layout != "unlabelled"


def _entries(folder: Path) -> tuple[list[str], list[str]]:
    """(image file names, sub-folder names) directly in ``folder``, sorted; hidden ones left out."""
    files, dirs = [], []
    with os.scandir(folder) as it:
        for e in it:
            if e.name.startswith("."):
                continue
            if e.is_dir():
                dirs.append(e.name)
            elif is_image_file(e.name):
                files.append(e.name)
    return sorted(files), sorted(dirs)


def _list_one(root: Path, rel: str = "") -> PhotoList:
    """The folder ``root/rel`` (no split folders in it): kaggle, unlabelled, folders or petimages.

    Paths are relative to ``root``, which is what the cache key is made of.
    """
    folder = root / rel if rel else root
    files, dirs = _entries(folder)
    if "PetImages" in dirs and not files:
        return _list_one(root, rel + "PetImages/")
    named = [(f, m.group(1).lower()) for f in files if (m := LABELLED_NAME.match(f))]
    if named:
        classes = sorted({c for _, c in named})
        return PhotoList(
            root, "kaggle", [rel + f for f, _ in named], [classes.index(c) for _, c in named], classes
        )
    ids = [f for f in files if ID_NAME.match(f)]
    if ids:
        ids.sort(key=lambda f: int(ID_NAME.match(f).group(1)))
        return PhotoList(root, "unlabelled", [rel + f for f in ids], [-1] * len(ids), [])
    classes = find_classes(folder) if dirs else []
    prints, labels = list_images(folder, classes, rel) if classes else ([], [])
    if not prints:
        raise DataError(
            tr(
                "{folder}: found no photos. Expected Kaggle's cat.<n>.jpg/dog.<n>.jpg, test images <id>.jpg, "
                "one folder of images per class, or PetImages/Cat and PetImages/Dog",
                "{folder}: 没有找到照片。应为 Kaggle 的 cat.<n>.jpg/dog.<n>.jpg、测试图片 <id>.jpg、"
                "每个类别一个图片文件夹, 或 PetImages/Cat 与 PetImages/Dog",
                folder=folder,
            )
        )
    layout = "petimages" if folder.name == "PetImages" else "folders"
    return PhotoList(root, layout, [p for p, _, _ in prints], labels, classes)


def find_photos(data_dir: str | Path | None) -> PhotoList:
    """Every photo under ``data_dir`` with its label; a labelled test/ or val/ folder is marked held out."""
    if data_dir is None:
        raise DataError(
            tr(
                "photos need --data-dir DIR (e.g. Kaggle's train/ folder of cat.<n>.jpg and dog.<n>.jpg)",
                "照片数据需要 --data-dir DIR (例如 Kaggle 的 train/ 文件夹, 其中是 cat.<n>.jpg 和 dog.<n>.jpg)",
            )
        )
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise DataError(tr("{p}: no such folder", "{p}: 文件夹不存在", p=root))
    if not (root / "train").is_dir():
        found = _list_one(root)
        found.held_out = [False] * len(found.files)
        return found
    train = _list_one(root, "train/")
    train.held_out = [False] * len(train.files)
    for name in HELD_OUT_DIRS:
        if (root / name).is_dir():
            other = _list_one(root, name + "/")
            if other.labelled:
                return _join(train, other)
    return train


def _join(train: PhotoList, held: PhotoList) -> PhotoList:
    """Training photos plus a labelled held-out folder, with the held-out labels mapped to train's classes."""
    unknown = sorted(set(held.classes) - set(train.classes))
    if unknown:
        raise DataError(
            tr(
                "{root}: the held-out folder has classes that train/ lacks: {c}",
                "{root}: 留出文件夹中有 train/ 没有的类别: {c}",
                root=train.root,
                c=", ".join(unknown),
            )
        )
    labels = train.labels + [train.classes.index(held.classes[i]) for i in held.labels]
    return PhotoList(
        train.root,
        train.layout,
        train.files + held.files,
        labels,
        train.classes,
        [False] * len(train.files) + [True] * len(held.files),
    )


def photo_id(name: str) -> int | None:
    """The number in a file name (Kaggle's id): 123 for '123.jpg' and for 'dog.123.jpg'; None if none."""
    numbers = re.findall(r"\d+", Path(name).stem)
    return int(numbers[-1]) if numbers else None
