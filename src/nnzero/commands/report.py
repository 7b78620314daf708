"""`nnzero report`: (re)build runs/NAME/report.html, one page with everything about a training run.

nnzero report runs/NAME                 # evaluates best.pt first if runs/NAME/eval/ is missing
nnzero report runs/NAME --lang zh       # Chinese headings only (default: both languages)
nnzero report runs/NAME --out ~/Desktop/run.html --json
"""

from __future__ import annotations

from nnzero.commands._common import add_command, add_dry_run, add_json, emit_json, say
from nnzero.evaluation.html import LANGS
from nnzero.i18n import tr


def register(sub) -> None:
    p = add_command(
        sub,
        "report",
        "write runs/NAME/report.html: config, model, curves, test metrics, confusion matrix, mistakes",
        "生成 runs/NAME/report.html: 配置、模型结构、曲线、测试指标、混淆矩阵、错误样例",
        ["nnzero report runs/NAME", "nnzero report runs/NAME --lang zh --json"],
        run,
    )
    p.add_argument(
        "run_dir", help=tr("a run folder written by `nnzero train`", "`nnzero train` 写入的运行目录")
    )
    p.add_argument(
        "--lang",
        dest="report_lang",
        choices=LANGS,
        default="both",
        help=tr(
            "headings in both languages (default), English or Chinese",
            "标题语言: 中英双语 (默认)、英文或中文",
        ),
    )
    p.add_argument(
        "--out", help=tr("write here instead of RUN_DIR/report.html", "写到此路径而非 RUN_DIR/report.html")
    )
    p.add_argument(
        "--no-feature-maps",
        dest="feature_maps",
        action="store_false",
        help=tr("leave out the layer-by-layer picture (faster)", "不画逐层特征图 (更快)"),
    )
    add_json(p)
    add_dry_run(p)


def run(args) -> int:
    from nnzero.evaluation.report import write_report

    result = write_report(
        args.run_dir,
        lang=args.report_lang,
        out=args.out,
        dry_run=args.dry_run,
        feature_maps=args.feature_maps,
    )
    if args.dry_run:
        result["dry_run"] = True
    if args.json:
        emit_json(result)
    elif args.dry_run:
        say(
            args,
            tr(
                "dry run: a {n:,}-byte report would be written",
                "试运行: 将生成 {n:,} 字节的报告",
                n=result["bytes"],
            ),
        )
    else:
        say(
            args,
            tr(
                "written: {f} ({n:,} bytes)",
                "已写入: {f} ({n:,} 字节)",
                f=result["report"],
                n=result["bytes"],
            ),
        )
    return 0
