"""Several runs side by side: their curves overlaid and a table of final metrics (``nnzero compare``).

The course compares a LeNet and a ResNet run in TensorBoard; this does the same from the
run folders' files, for runs of either engine, as one PNG or one self-contained HTML page.
"""

from __future__ import annotations

from pathlib import Path

from nnzero.evaluation.html import figure_png, img, page, table, text
from nnzero.evaluation.runinfo import RunInfo, read_run

COLUMNS = ["run", "model", "params", "epochs", "best_val_accuracy", "test_accuracy", "seconds"]
PANELS = (
    ("val_accuracy", "validation accuracy", "验证准确率"),
    ("val_loss", "validation loss", "验证损失"),
    ("train_loss", "training loss", "训练损失"),
)


def compare_runs(run_dirs: list[str | Path]) -> tuple[list[RunInfo], list[dict]]:
    """The runs, and one row of final metrics for each."""
    infos = [read_run(d) for d in run_dirs]
    return infos, [info.final_metrics() for info in infos]


def plot_compare(infos: list[RunInfo], rows: list[dict], out, with_table: bool = True) -> None:
    """Three panels (validation accuracy, validation loss, training loss per epoch), one line per run."""
    from matplotlib.ticker import MaxNLocator

    from nnzero.evaluation.plots import plt, use_cjk_font
    from nnzero.figures import figure_text

    use_cjk_font()
    table_h = 0.35 * (len(rows) + 1) + 0.3 if with_table else 0
    fig = plt.figure(figsize=(15, 4.2 + table_h))
    grid = fig.add_gridspec(2, 3, height_ratios=[4.2, max(table_h, 1e-3)])
    for col, (key, en, zh) in enumerate(PANELS):
        ax = fig.add_subplot(grid[0, col])
        for info in infos:
            points = [(r["epoch"], r[key]) for r in info.rows if r.get(key) is not None]
            if points:
                label = info.name if info.model in info.name else f"{info.name} ({info.model})"
                ax.plot(*zip(*points), "o-", label=label, markersize=3)
        ax.set_title(figure_text(en, zh))
        ax.set_xlabel(figure_text("epoch", "轮"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if col == 0:
            ax.legend(fontsize=8)
    if with_table:
        ax = fig.add_subplot(grid[1, :])
        ax.axis("off")
        cells = [[_cell(row[c]) for c in COLUMNS] for row in rows]
        ax.table(cellText=cells, colLabels=COLUMNS, loc="center", cellLoc="center").scale(1, 1.3)
    fig.tight_layout()
    fig.savefig(out, dpi=100, format="png")
    plt.close(fig)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if value <= 1 else f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def compare_html(infos: list[RunInfo], rows: list[dict], lang: str = "both") -> str:
    png = figure_png(lambda out: plot_compare(infos, rows, out, with_table=False))
    header = [
        text(lang, "run", "运行"),
        text(lang, "model", "模型"),
        text(lang, "parameters", "参数"),
        text(lang, "epochs", "轮数"),
        text(lang, "best val acc", "最佳验证准确率"),
        text(lang, "test acc", "测试准确率"),
        text(lang, "seconds", "秒"),
    ]
    body = table(header, [[row[c] for c in COLUMNS] for row in rows], left=2)
    sections = [
        ("curves", text(lang, "Curves", "曲线"), img(png, "curves", "compare-img")),
        ("table", text(lang, "Final metrics", "最终指标"), body),
    ]
    return page(
        text(lang, "Comparing runs", "训练对比") + ": " + ", ".join(i.name for i in infos), sections, lang
    )
