"""What `nnzero data info` reports, for a named IDX data set or any folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnzero.datasets.mnist import KNOWN, SHIPPED, SPLITS
from nnzero.errors import DataError
from nnzero.i18n import tr


def _split_counts(labels: list | np.ndarray, n_classes: int) -> dict:
    per_class = np.bincount(np.asarray(labels, np.int64), minlength=n_classes)  # (classes,)
    return {"count": int(per_class.sum()), "per_class": per_class.tolist()}


def idx_info(name: str, data_dir: str | None, dry_run: bool = False) -> dict:
    """Counts per class of a known IDX data set (md5 checked), or only which files are there (dry run)."""
    from nnzero.datasets.mnist import load_arrays

    ds = KNOWN[name]
    folder = Path(data_dir) if data_dir else SHIPPED
    info = {
        "kind": "idx",
        "dataset": name,
        "folder": str(folder),
        "shipped": data_dir is None,
        "classes": list(ds.classes),
        "image_size": 28,
        "channels": 1,
    }
    if dry_run:
        info["files"] = {f: (folder / f).exists() or (folder / f[:-3]).exists() for f in ds.files}
        return info
    info["splits"] = {s: _split_counts(load_arrays(s, name, data_dir)[1], len(ds.classes)) for s in SPLITS}
    return info


def _idx_dataset_in(folder: Path) -> str | None:
    """The known data set whose files lie in ``folder`` (told apart by md5), if any."""
    from nnzero.datasets.download import file_md5

    image_file = "train-images-idx3-ubyte.gz"
    if not ((folder / image_file).exists() or (folder / image_file[:-3]).exists()):
        return None
    if (folder / image_file).exists():
        md5 = file_md5(folder / image_file)
        for name, ds in KNOWN.items():
            if ds.files[image_file] == md5:
                return name
    return "mnist"  # gunzipped or damaged: loading it says which


def folder_info(root: Path, dry_run: bool = False) -> dict:
    """Layout, classes and counts of an image folder; unless a dry run, also sizes and cache state."""
    from nnzero.datasets.cache import default_cache_dir, is_cached
    from nnzero.datasets.foldertree import scan_tree, split_dirs
    from nnzero.datasets.imagefolder import array_params, read_headers

    name = _idx_dataset_in(root) if root.is_dir() else None
    if name:
        return idx_info(name, str(root), dry_run)
    dirs = split_dirs(root) if root.is_dir() else {}
    try:
        classes, files = scan_tree(root, next(iter(dirs), "train"))
    except DataError:
        if not root.is_dir():
            raise
        return photo_info(root, dry_run)  # Kaggle's flat cat.<n>.jpg, PetImages/, a test folder of <id>.jpg
    info = {
        "kind": "imagefolder",
        "folder": str(root),
        "layout": "splits" if dirs else "classes",
        "classes": classes,
        "splits": {s: _split_counts(labels, len(classes)) for s, (_, labels) in files.items()},
    }
    if dry_run:
        return info
    prints = [p for ps, _ in files.values() for p in ps]
    headers = read_headers(root, prints)
    size, channels = headers["image_size"], 1 if headers["grey"] else 3
    info.update(
        image_size=size,
        channels=channels,
        common_sizes=headers["sizes"],
        distinct_sizes=headers["distinct_sizes"],
        unreadable=headers["unreadable"],
        cache_dir=str(default_cache_dir(root)),
        cached={s: is_cached(root, ps, array_params(s, size, channels)) for s, (ps, _) in files.items()},
    )
    return info


def photo_info(root: Path, dry_run: bool = False) -> dict:
    """The layouts `nnzero train photos` and `catsdogs` read (``layouts.find_photos``: the same scanner)."""
    from nnzero.datasets.cache import fingerprint
    from nnzero.datasets.imagefolder import read_headers
    from nnzero.datasets.layouts import find_photos

    found = find_photos(root)
    held = np.asarray(found.held_out, bool)
    labels = np.asarray(found.labels, np.int64)
    info = {"kind": "photos", "folder": str(found.root), "layout": found.layout, "classes": found.classes}
    if found.labelled:
        info["splits"] = {"train": _split_counts(labels[~held], len(found.classes))}
        if held.any():
            info["splits"]["test"] = _split_counts(labels[held], len(found.classes))
    else:
        info["unlabelled"] = len(found.files)
    if not dry_run:
        headers = read_headers(found.root, fingerprint(found.root, found.files))
        info.update(
            common_sizes=headers["sizes"],
            distinct_sizes=headers["distinct_sizes"],
            unreadable=headers["unreadable"],
        )
    return info


def _print_photos(info: dict) -> None:
    print(
        tr(
            "photo folder {folder} ({layout} layout): {c} classes{more}",
            "照片文件夹 {folder} ({layout} 布局): {c} 个类别{more}",
            folder=info["folder"],
            layout=info["layout"],
            c=len(info["classes"]),
            more=tr(
                ", {n:,} unlabelled photos (a test set for `nnzero submit`)",
                ", {n:,} 张无标签照片 (供 `nnzero submit` 使用的测试集)",
                n=info["unlabelled"],
            )
            if "unlabelled" in info
            else "",
        )
    )
    if "test" not in info.get("splits", {"test": 1}):
        print(
            tr(
                "  no labelled test/ folder: training holds out a stratified 20% of each class as the test split",
                "  没有带标签的 test/ 文件夹: 训练时每个类别分层留出 20% 作为测试集",
            )
        )
    if "common_sizes" in info:
        sizes = ", ".join(f"{w}x{h} ({n:,})" for w, h, n in info["common_sizes"])
        more = " ..." if info["distinct_sizes"] > len(info["common_sizes"]) else ""
        print(
            tr(
                "  sizes found: {s}{m}; unreadable files: {b}",
                "  现有尺寸: {s}{m}; 无法读取的文件: {b}",
                s=sizes,
                m=more,
                b=info["unreadable"],
            )
        )


def print_info(info: dict) -> None:
    if info["kind"] == "photos":
        _print_photos(info)
    elif info["kind"] == "idx":
        where = tr("shipped with nnzero", "nnzero 自带") if info["shipped"] else info["folder"]
        print(
            tr(
                "{name} (IDX files, {where}): {c} classes, {s}x{s} grey",
                "{name} (IDX 文件, {where}): {c} 个类别, {s}x{s} 灰度",
                name=info["dataset"],
                where=where,
                c=len(info["classes"]),
                s=info["image_size"],
            )
        )
        if "files" in info:
            for f, present in info["files"].items():
                print(f"  {f}: {tr('present', '存在') if present else tr('missing', '缺失')}")
    else:
        layout = (
            tr("train/test folders", "train/test 文件夹")
            if info["layout"] == "splits"
            else tr("class folders only (all training)", "只有类别文件夹 (全部为训练集)")
        )
        print(
            tr(
                "image folder {folder} ({layout}): {c} classes",
                "图片文件夹 {folder} ({layout}): {c} 个类别",
                folder=info["folder"],
                layout=layout,
                c=len(info["classes"]),
            )
        )
        if "image_size" in info:
            sizes = ", ".join(f"{w}x{h} ({n:,})" for w, h, n in info["common_sizes"])
            print(
                tr(
                    "  loads as {c}x{s}x{s}; sizes found: {sizes}{more}; unreadable files: {bad}",
                    "  加载为 {c}x{s}x{s}; 现有尺寸: {sizes}{more}; 无法读取的文件: {bad}",
                    c=info["channels"],
                    s=info["image_size"],
                    sizes=sizes,
                    bad=info["unreadable"],
                    more=" ..." if info["distinct_sizes"] > len(info["common_sizes"]) else "",
                )
            )
            cached = ", ".join(
                f"{s}: {tr('yes', '是') if ok else tr('no', '否')}" for s, ok in info["cached"].items()
            )
            print(
                tr(
                    "  decoded arrays cached in {d}: {cached}",
                    "  解码后的数组缓存于 {d}: {cached}",
                    d=info["cache_dir"],
                    cached=cached,
                )
            )
    splits = info.get("splits", {})
    if splits:
        print(f"  {tr('class', '类别'):<16}" + "".join(f"{s:>10}" for s in splits))
        for i, c in enumerate(info["classes"]):
            print(f"  {c:<16}" + "".join(f"{splits[s]['per_class'][i]:>10,}" for s in splits))
        print(f"  {tr('total', '合计'):<16}" + "".join(f"{splits[s]['count']:>10,}" for s in splits))
