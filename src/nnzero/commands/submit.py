"""`nnzero submit`: a Kaggle "Dogs vs. Cats" submission file from a checkpoint and the test photos.

nnzero submit runs/NAME/best.pt ~/data/dogs-vs-cats/test1 --out submission.csv
nnzero submit runs/NAME/best.pt TEST_DIR --tta                   # average each photo and its mirror
nnzero submit runs/NAME/best.pt TEST_DIR --clip 0.01 --json
nnzero submit runs/NAME/best.pt TEST_DIR --dry-run               # 16 photos, writes nothing

The work is ``nnzero.evaluation.submission.make_submission``; this parses, calls, prints.
"""

from __future__ import annotations

from nnzero.commands._common import add_command, add_dry_run, add_json, add_precision, emit_json, say
from nnzero.i18n import tr


def register(sub) -> None:
    p = add_command(
        sub,
        "submit",
        "write a Kaggle submission (id,label = P(dog)) for a folder of test photos",
        "为测试照片文件夹写出 Kaggle 提交文件 (id,label = 狗的概率)",
        [
            "nnzero submit runs/NAME/best.pt ~/data/dogs-vs-cats/test1 --out submission.csv --tta",
            "nnzero submit runs/NAME/best.pt test1 --tta --json",
            "nnzero submit runs/NAME/best.pt test1 --tta --precision fp32",
        ],
        run,
    )
    p.add_argument("checkpoint", help=tr("a .pt file from `nnzero train`", "`nnzero train` 得到的 .pt 文件"))
    p.add_argument("test_dir", help=tr("folder of test photos (<id>.jpg)", "测试照片文件夹 (<id>.jpg)"))
    p.add_argument("--out", default="submission.csv", help=tr("CSV to write", "要写出的 CSV 文件"))
    p.add_argument(
        "--clip",
        type=float,
        default=None,
        help=tr(
            "keep probabilities in [clip, 1-clip] (default: the clip the run chose on validation, "
            "else 0.005; 0: no clipping)",
            "把概率限制在 [clip, 1-clip] 内 (默认: 训练时在验证集上选定的值, 否则 0.005; 0 表示不限制)",
        ),
    )
    p.add_argument(
        "--tta",
        nargs="?",
        const="mirror",
        choices=["mirror", "shifts", "none"],
        help=tr(
            "average each photo and its mirror image (--tta, --tta mirror), or its 1-pixel shifts "
            "(--tta shifts); default: what the checkpoint keeps",
            "对照片和其镜像取平均 (--tta, --tta mirror), 或对其平移 1 个像素的副本取平均 (--tta shifts); "
            "默认: 检查点中保存的设置",
        ),
    )
    p.add_argument(
        "--positive",
        help=tr("class whose probability is the label (default: dog)", "label 写哪个类别的概率 (默认 dog)"),
    )
    p.add_argument("--device", default="auto")
    add_precision(p)
    add_json(p)
    add_dry_run(p)


def run(args) -> int:
    from nnzero.datasets.photos import skipped_summary
    from nnzero.evaluation.submission import make_submission

    result = make_submission(
        args.checkpoint,
        args.test_dir,
        out=args.out,
        clip=args.clip,
        tta=args.tta,
        positive=args.positive,
        device=args.device,
        precision=args.precision,
        dry_run=args.dry_run,
        quiet=args.json,
        say=lambda m: say(args, m),
    )
    if result.get("repeated_ids"):
        say(
            args,
            tr(
                "note: ids repeat ({n}); this is not a Kaggle test folder",
                "注意: id 有重复 ({n}); 这不是 Kaggle 测试集",
                n=result["repeated_ids"],
            ),
        )
    if result["skipped"]:
        skipped = [(s["file"], s["why"]) for s in result["skipped"]]
        say(
            args,
            skipped_summary(skipped, result["rows"], args.test_dir)
            + " "
            + tr("(label 0.5)", "(label 记为 0.5)"),
        )
    if args.json:
        emit_json(result)
        return 0
    where = "" if args.dry_run else tr(" written to {o}", ", 已写入 {o}", o=result["out"])
    print(tr("{n} rows{where}; first rows:", "共 {n} 行{where}; 前几行:", n=result["rows"], where=where))
    print("  id,label\n" + "\n".join(f"  {i},{q:.6g}" for i, q in result["first_rows"]))
    print(
        tr(
            "probabilities clipped to [{c:g}, {d:g}]",
            "概率限制在 [{c:g}, {d:g}]",
            c=result["clip"],
            d=1 - result["clip"],
        )
    )
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
