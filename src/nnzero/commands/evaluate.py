"""`nnzero evaluate`: test accuracy, per-class scores, confusion matrix and the mistakes of a checkpoint.

nnzero evaluate runs/NAME/best.pt
nnzero evaluate runs/NAME/best.pt --out eval-dir --json
nnzero evaluate model.pt --dataset fashion-mnist --data-dir DIR
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from nnzero.commands._common import add_command, add_dry_run, add_json, add_tta, emit_json, say
from nnzero.i18n import tr


def register(sub) -> None:
    p = add_command(
        sub,
        "evaluate",
        "evaluate a checkpoint on its test set: accuracy, confusion matrix, mistakes",
        "在测试集上评估检查点: 准确率、混淆矩阵、分错的图像",
        [
            "nnzero evaluate runs/NAME/best.pt",
            "nnzero evaluate runs/NAME/best.pt --json --mistakes 50",
            "nnzero evaluate runs/NAME/best.pt --tta shifts   # averaged over 1-pixel shifts",
            "nnzero evaluate runs/flowers/best.pt --unknown-dir my_pets/   # the share answered 'unknown'",
        ],
        run,
    )
    p.add_argument(
        "checkpoint",
        help=tr(
            "a .pt file from `nnzero train` (or its run folder)",
            "`nnzero train` 得到的 .pt 文件 (或其运行目录)",
        ),
    )
    p.add_argument("--data-dir", help=tr("read the test set from here instead", "从此目录读取测试集"))
    p.add_argument(
        "--dataset", help=tr("evaluate on another data set of the same shape", "换一个同形状的数据集")
    )
    p.add_argument(
        "--out",
        help=tr(
            "folder for confusion.png, mistakes.png/.csv, metrics.json "
            "(default: eval/ beside the checkpoint)",
            "输出目录 (默认: 检查点旁的 eval/)",
        ),
    )
    p.add_argument(
        "--mistakes",
        type=int,
        default=20,
        help=tr("how many mistakes to list and draw", "列出并绘制多少个错误"),
    )
    p.add_argument(
        "--unknown-dir",
        metavar="DIR",
        help=tr(
            "a folder of pictures that are none of the classes: how many are answered 'unknown'",
            "一个图像都不属于任何类别的文件夹: 统计其中回答'不确定'的比例",
        ),
    )
    p.add_argument("--device", default="auto")
    add_tta(p)
    add_json(p)
    add_dry_run(p)


def run(args) -> int:
    from nnzero.evaluation.api import evaluate
    from nnzero.evaluation.evaluate import format_report

    tmp = Path(tempfile.mkdtemp(prefix="nnzero-eval-")) if args.dry_run else None
    path = Path(args.checkpoint)
    out = tmp or (Path(args.out) if args.out else (path if path.is_dir() else path.parent) / "eval")
    try:
        result = evaluate(
            path,
            data_dir=args.data_dir,
            dataset=args.dataset,
            out_dir=out,
            dry_run=args.dry_run,
            top_mistakes=max(args.mistakes, 1),
            device=args.device,
            tta=args.tta,
            unknown_dir=args.unknown_dir,
        )
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.dry_run:
        result.pop("files", None)
    if args.json:
        result["misclassified"] = len(result["mistakes"])
        result["mistakes"] = result["mistakes"][: args.mistakes]
        emit_json(result)
    else:
        say(args, format_report(result, args.mistakes))
    return 0
