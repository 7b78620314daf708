"""The layout of a folder-per-class tree of images, listed as torchvision's ImageFolder lists it.

    DIR/train/<class>/*.png   DIR/test/<class>/*.png    (split folders; val/ too)
    DIR/<class>/*.jpg                                   (no split folders: all of it is 'train')

Classes are the sub-folder names, sorted; files are listed class by class, directories
sorted by path, names sorted, so index i means the same image here and in ImageFolder.
Folders whose name starts with '.' are not classes (the cache lives in DIR/.nnzero-cache), nor is
a ``runs`` folder without images of its own (where a Teach project keeps its training runs).
Listing stats every file, which is what the cache key is made of; nothing is opened.
"""

from __future__ import annotations

import os
from pathlib import Path

from nnzero.datasets.decode import is_image_file
from nnzero.errors import DataError
from nnzero.i18n import tr

SPLITS = ("train", "val", "test")


class MissingSplit(DataError, FileNotFoundError):
    """The tree has no folder for the split asked for. Also a FileNotFoundError, so that code
    which treats a missing test set as optional (``except FileNotFoundError``) does so here too."""


def split_dirs(root: Path) -> dict[str, Path]:
    """{'train': root/train, ...} for the split folders present; {} when root holds the classes itself."""
    return {s: root / s for s in SPLITS if (root / s).is_dir()}


def has_split(data_dir: str | Path, split: str) -> bool:
    """Whether load_imagefolder(data_dir, split) has a folder to read (flat trees have only 'train')."""
    root = Path(data_dir)
    dirs = split_dirs(root)
    return split in dirs if dirs else split == "train" and root.is_dir()


RUNS = "runs"  # DIR/runs/<run>/: training runs beside the class folders (``nnzero teach DIR``)


def find_classes(folder: Path) -> list[str]:
    """Sub-folder names, sorted like ImageFolder's find_classes; hidden ones ('.nnzero-cache') and a
    ``runs`` folder of run folders (no image directly in it) left out."""
    return sorted(
        e.name
        for e in os.scandir(folder)
        if e.is_dir() and not e.name.startswith(".") and not (e.name == RUNS and _holds_no_image(e.path))
    )


def _holds_no_image(folder: str) -> bool:
    with os.scandir(folder) as it:
        return not any(is_image_file(e.name) for e in it if not e.is_dir())


def _walk(folder: str, accept=is_image_file) -> list[tuple[str, list[os.DirEntry]]]:
    """(directory, its entries ``accept`` takes: images) for ``folder`` and every folder below, like
    os.walk, links followed."""
    out, dirs, files = [], [], []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.is_dir():
                    dirs.append(entry.path)
                elif accept(entry.name):
                    files.append(entry)
    except FileNotFoundError:  # deleted since its parent was listed (a delete racing this walk): empty now
        return []
    out.append((folder, sorted(files, key=lambda e: e.name)))
    for d in dirs:
        out.extend(_walk(d, accept))
    return out


def list_images(
    folder: Path, classes: list[str], prefix: str = "", accept=is_image_file
) -> tuple[list[tuple[str, int, int]], list[int]]:
    """(path relative to the tree, bytes, mtime in ns) of each image (each file ``accept`` takes), and its
    class index, in ImageFolder's order: classes in order, then directories sorted by path, then names."""
    prints, labels = [], []
    for index, name in enumerate(classes):
        class_dir = os.path.join(folder, name)
        if not os.path.isdir(class_dir):
            continue
        for dirpath, entries in sorted(_walk(class_dir, accept), key=lambda t: t[0]):
            rel = prefix + name + dirpath[len(class_dir) :].replace(os.sep, "/") + "/"
            for e in entries:
                try:
                    st = e.stat()  # follows links, like reading the file would
                except FileNotFoundError:  # deleted since it was listed, or a dangling link: not an image
                    continue
                prints.append((rel + e.name, st.st_size, st.st_mtime_ns))
                labels.append(index)
    return prints, labels


def scan_tree(
    root: Path, split: str, accept=is_image_file
) -> tuple[list[str], dict[str, tuple[list[tuple[str, int, int]], list[int]]]]:
    """The class names and, per split present, (fingerprints as list_images gives them, labels);
    ``accept`` picks the files by name (images; sound trees pass ``audio.is_audio_file``)."""
    if not root.is_dir():
        raise DataError(
            tr(
                "{path}: no such folder; give a folder with one sub-folder of images per class",
                "{path}: 文件夹不存在; 请给出每个类别一个子文件夹的图片文件夹",
                path=root,
            )
        )
    dirs = split_dirs(root)
    if not dirs:
        if split != "train":
            raise MissingSplit(
                tr(
                    "{root} has no {split}/ folder: its class folders are all training images. "
                    "To test on images the model never saw, arrange them as {root}/train/<class>/ "
                    "and {root}/{split}/<class>/ (a validation share is held out of train automatically)",
                    "{root} 中没有 {split}/ 文件夹: 其中的类别文件夹都是训练图片。"
                    "若要在模型没见过的图片上测试, 请整理为 "
                    "{root}/train/<类别>/ 和 {root}/{split}/<类别>/ (验证集会自动从 train 中划出)",
                    root=root,
                    split=split,
                )
            )
        dirs = {"train": root}
    if split not in dirs:
        raise MissingSplit(
            tr(
                "{root} has no {split}/ folder (found: {found})",
                "{root} 中没有 {split}/ 文件夹 (现有: {found})",
                root=root,
                split=split,
                found=", ".join(dirs),
            )
        )
    classes = find_classes(dirs.get("train", dirs[split]))
    if not classes:
        raise DataError(
            tr(
                "{folder} holds no class folders; expected {folder}/<class>/<image files>",
                "{folder} 中没有类别文件夹; 应为 {folder}/<类别>/<图片文件>",
                folder=dirs.get("train", root),
            )
        )
    extra = sorted(set(find_classes(dirs[split])) - set(classes))
    if extra:
        raise DataError(
            tr(
                "{folder} has classes that train/ lacks: {extra}; every class needs training images",
                "{folder} 中有 train/ 没有的类别: {extra}; 每个类别都需要训练图片",
                folder=dirs[split],
                extra=", ".join(extra),
            )
        )
    files = {}
    for name, folder in dirs.items():
        files[name] = list_images(folder, classes, "" if folder == root else name + "/", accept)
    return classes, files
