"""`nnzero submit`: a Kaggle "Dogs vs. Cats" submission file from a checkpoint and the test photos.

nnzero submit runs/NAME/best.pt ~/data/dogs-vs-cats/test1 --out submission.csv
nnzero submit runs/NAME/best.pt TEST_DIR --tta                   # average each photo and its mirror
nnzero submit runs/NAME/best.pt TEST_DIR --clip 0.01 --json
nnzero submit runs/NAME/best.pt TEST_DIR --dry-run               # 16 photos, writes nothing

Rows: ``id,label``, one per photo, id = the number in the file name, label = P(dog) clipped
to [clip, 1 - clip], sorted by id. A photo that cannot be decoded still gets its row, with
0.5, and is listed. When the photos are labelled (cat.<n>.jpg, or class folders), the
submission's log-loss and accuracy are printed too.
"""

from __future__ import annotations

import os

import numpy as np

from nnzero.commands._common import add_command, add_dry_run, add_json, emit_json, say
from nnzero.errors import NnzeroError
from nnzero.i18n import tr

DRY_RUN_PHOTOS = 16


def register(sub) -> None:
    p = add_command(
        sub,
        "submit",
        "write a Kaggle submission (id,label = P(dog)) for a folder of test photos",
        "为测试照片文件夹写出 Kaggle 提交文件 (id,label = 狗的概率)",
        [
            "nnzero submit runs/NAME/best.pt ~/data/dogs-vs-cats/test1 --out submission.csv",
            "nnzero submit runs/NAME/best.pt test1 --tta --json",
        ],
        run,
    )
    p.add_argument("checkpoint", help=tr("a .pt file from `nnzero train`", "`nnzero train` 得到的 .pt 文件"))
    p.add_argument("test_dir", help=tr("folder of test photos (<id>.jpg)", "测试照片文件夹 (<id>.jpg)"))
    p.add_argument("--out", default="submission.csv", help=tr("CSV to write", "要写出的 CSV 文件"))
    p.add_argument(
        "--clip",
        type=float,
        default=0.005,
        help=tr(
            "keep probabilities in [clip, 1-clip] (default 0.005; 0: no clipping)",
            "把概率限制在 [clip, 1-clip] 内 (默认 0.005; 0 表示不限制)",
        ),
    )
    p.add_argument(
        "--tta",
        action="store_true",
        help=tr("average each photo and its mirror image", "对照片和其镜像取平均"),
    )
    p.add_argument(
        "--positive",
        help=tr("class whose probability is the label (default: dog)", "label 写哪个类别的概率 (默认 dog)"),
    )
    p.add_argument("--device", default="auto")
    add_json(p)
    add_dry_run(p)


def _decode_few(test_dir, size: int):
    """--dry-run: the first photos only, decoded directly (no cache written)."""
    from nnzero.datasets.layouts import find_photos
    from nnzero.datasets.photos import decode_photo

    listing = find_photos(test_dir)
    images, kept, skipped = [], [], []
    for i, f in enumerate(listing.files[:DRY_RUN_PHOTOS]):
        try:
            images.append(decode_photo(os.path.join(listing.root, f), size))
            kept.append(i)
        except NnzeroError as e:
            skipped.append((f, str(e)))
    listing.files, listing.labels = listing.files[:DRY_RUN_PHOTOS], listing.labels[:DRY_RUN_PHOTOS]
    stack = np.stack(images) if images else np.zeros((0, 3, size, size), np.uint8)  # (n, 3, S, S)
    return listing, stack, np.array(kept, np.int64), skipped


def run(args) -> int:
    from nnzero.datasets.layouts import photo_id
    from nnzero.datasets.photos import read_photos, skipped_summary
    from nnzero.inference.predictor import Predictor
    from nnzero.serving import kaggle

    predictor = Predictor.from_checkpoint(args.checkpoint, args.device)
    if predictor.spec.get("kind") != "photos":
        raise NnzeroError(
            tr(
                "{c} was trained on {k}, not photos; submit needs a model trained with `nnzero train catsdogs`",
                "{c} 是在 {k} 上训练的, 不是照片; submit 需要 `nnzero train catsdogs` 训练的模型",
                c=args.checkpoint,
                k=predictor.spec.get("kind"),
            )
        )
    index = kaggle.positive_index(predictor.classes, args.positive)
    size = predictor.spec["size"]
    if args.dry_run:
        listing, images, kept, skipped = _decode_few(args.test_dir, size)
    else:
        load = read_photos(args.test_dir, size, quiet=args.json)
        listing, images, kept, skipped = load.listing, load.images, load.kept, load.skipped
    p = np.full(len(listing.files), kaggle.BAD_FILE_P)  # (N,) rows of undecodable photos stay at 0.5
    p[kept] = kaggle.probabilities(predictor, images, index, args.tta)
    p = kaggle.clip_probabilities(p, args.clip)
    names = [os.path.basename(f) for f in listing.files]
    ids = [photo_id(n) for n in names]
    if None in ids:
        raise NnzeroError(
            tr(
                "{n} file(s) have no number in their name to use as the id, e.g. {f}",
                "{n} 个文件名中没有可作为 id 的数字, 例如 {f}",
                n=ids.count(None),
                f=listing.files[ids.index(None)],
            )
        )
    rows = kaggle.sorted_rows(ids, listing.files, p)
    result = {
        "rows": len(rows),
        "photos_decoded": int(len(kept)),
        "skipped": [{"file": f, "why": why} for f, why in skipped],
        "bad_file_label": kaggle.BAD_FILE_P,
        "clip": args.clip,
        "tta": args.tta,
        "positive": predictor.classes[index],
        "out": None if args.dry_run else str(kaggle.write_submission(args.out, rows)),
        "dry_run": bool(args.dry_run),
    }
    if len(set(ids)) < len(ids):
        result["repeated_ids"] = len(ids) - len(set(ids))
        say(
            args,
            tr(
                "note: ids repeat ({n}); this is not a Kaggle test folder",
                "注意: id 有重复 ({n}); 这不是 Kaggle 测试集",
                n=result["repeated_ids"],
            ),
        )
    if listing.labelled:
        y = (np.asarray(listing.labels) == listing.classes.index(predictor.classes[index])).astype(
            float
        )  # (N,)
        result["log_loss"] = round(kaggle.binary_log_loss(p, y), 5)
        result["accuracy"] = round(float(((p > 0.5) == (y > 0.5)).mean()), 5)
    if skipped:
        say(
            args,
            skipped_summary(skipped, len(listing.files), listing.root)
            + " "
            + tr("(label 0.5)", "(label 记为 0.5)"),
        )
    if args.json:
        emit_json(result)
        return 0
    head = "\n".join(f"  {i},{q:.6g}" for i, _, q in rows[:3])
    print(
        tr(
            "{n} rows{where}; first rows:",
            "共 {n} 行{where}; 前几行:",
            n=len(rows),
            where="" if args.dry_run else tr(" written to {o}", ", 已写入 {o}", o=result["out"]),
        )
    )
    print("  id,label\n" + head)
    if "log_loss" in result:
        print(
            tr(
                "labels known: log-loss {l:.4f}, accuracy {a:.4f}",
                "已知标签: 对数损失 {l:.4f}, 准确率 {a:.4f}",
                l=result["log_loss"],
                a=result["accuracy"],
            )
        )
    return 0
