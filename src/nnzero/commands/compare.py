"""`nnzero compare`: several runs' curves overlaid and their final metrics in one table.

nnzero compare runs/lenet runs/cnn                       # writes compare.html
nnzero compare runs/lenet runs/cnn --out compare.png     # the figure with the table under it
nnzero compare runs/* --json                             # the table as JSON
"""

from __future__ import annotations

import io
from pathlib import Path

from nnzero.commands._common import add_command, add_dry_run, add_json, emit_json, say
from nnzero.errors import NnzeroError
from nnzero.evaluation.html import LANGS
from nnzero.i18n import tr

_HEADER_EN = f"{'model':<10}{'params':>10}{'epochs':>8}{'best val':>10}{'test':>10}{'seconds':>9}"
_HEADER_ZH = f"{'模型':<8}{'参数':>8}{'轮数':>6}{'最佳验证':>6}{'测试':>8}{'秒':>8}"


def register(sub) -> None:
    p = add_command(
        sub,
        "compare",
        "compare training runs: curves overlaid and a table of final metrics, as HTML or PNG",
        "比较几次训练: 曲线叠在一起, 最终指标列成表, 输出 HTML 或 PNG",
        ["nnzero compare runs/lenet runs/cnn", "nnzero compare runs/lenet runs/cnn --out compare.png --json"],
        run,
    )
    p.add_argument(
        "runs", nargs="+", help=tr("run folders written by `nnzero train`", "`nnzero train` 写入的运行目录")
    )
    p.add_argument(
        "--out",
        default="compare.html",
        help=tr("compare.html (default) or a .png file", "compare.html (默认) 或 .png 文件"),
    )
    p.add_argument(
        "--lang", dest="report_lang", choices=LANGS, default="both", help=tr("HTML headings", "HTML 标题语言")
    )
    add_json(p)
    add_dry_run(p)


def run(args) -> int:
    from nnzero.evaluation.compare import compare_html, compare_runs, plot_compare

    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm", ".png"):
        raise NnzeroError(
            tr(
                "--out must end in .html or .png, not {f}",
                "--out 必须以 .html 或 .png 结尾, 而不是 {f}",
                f=out,
            )
        )
    infos, rows = compare_runs(args.runs)
    if out.suffix.lower() == ".png":
        target = io.BytesIO() if args.dry_run else out
        plot_compare(infos, rows, target)
    else:
        document = compare_html(infos, rows, args.report_lang)
        if not args.dry_run:
            out.write_text(document, encoding="utf-8")
    if args.json:
        emit_json({"runs": rows, "out": None if args.dry_run else str(out), "dry_run": args.dry_run})
        return 0
    width = max(len(r["run"]) for r in rows) + 2
    run_head = tr("run", "运行")
    wide = sum(ord(ch) > 0x2E80 for ch in run_head)  # a Chinese character takes two columns
    say(args, run_head.ljust(width - wide) + tr(_HEADER_EN, _HEADER_ZH))
    for r in rows:
        val = "-" if r["best_val_accuracy"] is None else f"{r['best_val_accuracy']:.4f}"
        test = "-" if r["test_accuracy"] is None else f"{r['test_accuracy']:.4f}"
        params = "-" if r["params"] is None else f"{r['params']:,}"
        say(
            args,
            f"{r['run']:<{width}}{r['model']:<10}{params:>10}{r['epochs']:>8}{val:>10}{test:>10}{r['seconds']:>9.1f}",
        )
    if not args.dry_run:
        say(args, tr("written: {f}", "已写入: {f}", f=out))
    return 0
