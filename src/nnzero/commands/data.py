"""`nnzero data`: download, export and inspect data sets.

nnzero data fetch mnist --to data/mnist
nnzero data fetch fashion-mnist --to data/fashion --mirror https://my.mirror/fashion/
nnzero data fetch fsdd --to data/fsdd          # spoken digits: 2,500 recordings, md5-checked
nnzero data export mnist --to mnist_images
nnzero data export fashion-mnist --data-dir data/fashion --to fashion_images --limit 1000
nnzero data info mnist_images
nnzero data info mnist --json
"""

from __future__ import annotations

import time
from pathlib import Path

from nnzero.commands._common import add_command, add_dry_run, add_json, emit_json, say
from nnzero.datasets.mnist import KNOWN
from nnzero.errors import NnzeroError
from nnzero.i18n import tr


def register(sub) -> None:
    p = add_command(
        sub,
        "data",
        "download, export and inspect data sets",
        "下载、导出和查看数据集",
        [
            "nnzero data fetch mnist --to data/mnist",
            "nnzero data export mnist --to mnist_images",
            "nnzero data info mnist_images",
        ],
        None,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    _register_fetch(actions)
    _register_export(actions)
    _register_info(actions)


def _register_fetch(actions) -> None:
    f = add_command(
        actions,
        "fetch",
        "download MNIST, Fashion-MNIST or FSDD (spoken digits) from the public mirrors, md5-checked",
        "从公共镜像下载 MNIST、Fashion-MNIST 或 FSDD (英文数字语音), 并校验 md5",
        [
            "nnzero data fetch mnist --to data/mnist",
            "nnzero data fetch fsdd --to data/fsdd",
            "nnzero data fetch mnist --to data/mnist --mirror http://127.0.0.1:8000/mnist/",
            "NNZERO_MNIST_MIRRORS=https://a/,https://b/ nnzero data fetch mnist --to data/mnist",
            "nnzero data fetch fashion-mnist --to data/fashion --dry-run",
        ],
        run_fetch,
    )
    f.add_argument("dataset", choices=[*KNOWN, "fsdd"])
    f.add_argument(
        "--to", required=True, metavar="DIR", help=tr("folder to put the files in", "保存文件的文件夹")
    )
    f.add_argument(
        "--mirror",
        action="append",
        metavar="URL",
        help=tr(
            "base URL to try (repeat for several, tried in order; default: the data set's "
            "mirrors, or NNZERO_MNIST_MIRRORS, NNZERO_FSDD_MIRRORS, ...)",
            "要尝试的镜像地址 (可重复, 按顺序尝试; 默认: 数据集自带的镜像或 NNZERO_MNIST_MIRRORS、NNZERO_FSDD_MIRRORS 等)",
        ),
    )
    f.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="S",
        help=tr(
            "seconds without data before a mirror counts as timed out (default 30)",
            "多少秒收不到数据就算该镜像超时 (默认 30)",
        ),
    )
    add_json(f)
    add_dry_run(f)


def _register_export(actions) -> None:
    e = add_command(
        actions,
        "export",
        "write MNIST or Fashion-MNIST as PNG files, one folder per class",
        "把 MNIST 或 Fashion-MNIST 写成 PNG 文件, 每个类别一个文件夹",
        [
            "nnzero data export mnist --to mnist_images",
            "nnzero data export mnist --to mnist_small --limit 1000",
            "nnzero data export fashion-mnist --data-dir data/fashion --to fashion_images",
            "nnzero train imagefolder --data-dir mnist_images   # then train on the folders",
        ],
        run_export,
    )
    e.add_argument("dataset", choices=list(KNOWN))
    e.add_argument(
        "--to",
        required=True,
        metavar="DIR",
        help=tr(
            "folder to write DIR/train/<class>/<n>.png and DIR/test/<class>/<n>.png into",
            "写入 DIR/train/<类别>/<n>.png 和 DIR/test/<类别>/<n>.png 的文件夹",
        ),
    )
    e.add_argument(
        "--data-dir",
        metavar="DIR",
        help=tr(
            "where the IDX files are (default: MNIST shipped with nnzero)",
            "IDX 文件所在的文件夹 (默认: nnzero 自带的 MNIST)",
        ),
    )
    e.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help=tr("only the first N images of each split", "每个划分只导出前 N 张图片"),
    )
    add_json(e)
    add_dry_run(e)


def _register_info(actions) -> None:
    i = add_command(
        actions,
        "info",
        "what a data set or image folder holds: classes, counts, sizes, cache",
        "查看数据集或图片文件夹的内容: 类别、数量、尺寸、缓存",
        [
            "nnzero data info mnist",
            "nnzero data info mnist_images",
            "nnzero data info fashion-mnist --data-dir data/fashion --json",
        ],
        run_info,
    )
    i.add_argument(
        "target",
        metavar="DIR|NAME",
        help=tr(
            "an image folder, a folder of IDX files, or mnist / fashion-mnist",
            "图片文件夹、IDX 文件夹, 或 mnist / fashion-mnist",
        ),
    )
    i.add_argument(
        "--data-dir",
        metavar="DIR",
        help=tr("where a named data set's IDX files are", "指定数据集的 IDX 文件所在文件夹"),
    )
    add_json(i)
    add_dry_run(i)


def run_fetch(args) -> int:
    from nnzero.datasets.download import env_mirrors, fetch_dataset, planned_files
    from nnzero.datasets.mnist import load_arrays

    if args.dataset == "fsdd":
        from nnzero.commands._data_fsdd import run_fetch_fsdd

        return run_fetch_fsdd(args)
    ds = KNOWN[args.dataset]
    mirrors = args.mirror or env_mirrors(args.dataset) or list(ds.mirrors)
    folder = Path(args.to)
    start = time.perf_counter()
    if args.dry_run:
        files = planned_files(args.dataset, folder)
        say(
            args,
            tr(
                "would fetch {name} into {folder}, trying in order:",
                "将把 {name} 下载到 {folder}, 依次尝试:",
                name=args.dataset,
                folder=folder,
            ),
        )
        for m in mirrors:
            say(args, f"  {m}")
        for f in files:
            say(args, f"  {f['name']}: {f['status']}")
    else:
        fetched = fetch_dataset(args.dataset, folder, mirrors, args.timeout)
        files = [
            {
                "name": f.name,
                "md5": f.md5,
                "status": "present" if f.url is None else "downloaded",
                "url": f.url,
                "failed_mirrors": f.failures,
            }
            for f in fetched
        ]
        counts = {s: len(load_arrays(s, args.dataset, str(folder))[1]) for s in ("train", "test")}
        say(
            args,
            tr(
                "{name} is ready in {folder}: {train:,} training and {test:,} test images (md5 checked)\n"
                "use it: nnzero train {name} --data-dir {folder}",
                "{name} 已就绪于 {folder}: {train:,} 张训练图片, {test:,} 张测试图片 (md5 已校验)\n"
                "使用: nnzero train {name} --data-dir {folder}",
                name=args.dataset,
                folder=folder,
                train=counts["train"],
                test=counts["test"],
            ),
        )
    if args.json:
        emit_json(
            {
                "dataset": args.dataset,
                "to": str(folder),
                "mirrors": mirrors,
                "files": files,
                "dry_run": args.dry_run,
                "seconds": round(time.perf_counter() - start, 3),
            }
        )
    return 0


def run_export(args) -> int:
    from nnzero.datasets.export import export_idx, export_plan

    if args.limit is not None and args.limit < 1:
        raise NnzeroError(tr("--limit must be at least 1", "--limit 至少为 1"))
    if args.dry_run:
        result = export_plan(args.dataset, args.to, args.data_dir, args.limit)
        counts, written, same = result["counts"], result["trial_written"], result["trial_read_back_equal"]
        say(
            args,
            tr(
                "dry run: would write {n:,} PNGs to {to}; a trial of {k} PNGs read back {ok}",
                "试运行: 将向 {to} 写入 {n:,} 个 PNG; 试写 {k} 个并读回 {ok}",
                n=sum(counts.values()),
                to=args.to,
                k=written,
                ok=tr("identical", "完全一致") if same else tr("DIFFERENT", "不一致"),
            ),
        )
    else:
        progress = None if args.json else (lambda split, i, n: say(args, f"  {split}: {i:,}/{n:,}"))
        result = export_idx(args.dataset, args.to, args.data_dir, args.limit, progress)
        if result["skipped"]:
            say(
                args,
                tr(
                    "{to} already holds this export ({n:,} PNGs); nothing written",
                    "{to} 中已有这份导出 ({n:,} 个 PNG); 未写入任何文件",
                    to=args.to,
                    n=sum(result["counts"].values()),
                ),
            )
        else:
            say(
                args,
                tr(
                    "wrote {n:,} PNGs to {to} in {s:.1f} s ({r:,} images/s)",
                    "已向 {to} 写入 {n:,} 个 PNG, 用时 {s:.1f} 秒 ({r:,} 张/秒)",
                    n=result["written"],
                    to=args.to,
                    s=result["seconds"],
                    r=result["images_per_second"],
                ),
            )
        say(
            args,
            tr(
                "train on it: nnzero train imagefolder --data-dir {to}",
                "用它训练: nnzero train imagefolder --data-dir {to}",
                to=args.to,
            ),
        )
    if args.json:
        emit_json(result)
    return 0


def run_info(args) -> int:
    from nnzero.commands._data_info import folder_info, idx_info, print_info

    target = Path(args.target)
    if args.target in KNOWN and not target.is_dir():
        info = idx_info(args.target, args.data_dir, args.dry_run)
    else:
        info = folder_info(target, args.dry_run)
    if args.json:
        emit_json(info)
    else:
        print_info(info)
    return 0
