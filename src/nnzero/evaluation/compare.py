"""Several runs side by side: their curves overlaid and a table of final metrics (``nnzero compare``).

The course compares a LeNet and a ResNet run in TensorBoard; this does the same from the
run folders' files, for runs of either engine, as one PNG or one self-contained HTML page.
"""

from __future__ import annotations

from pathlib import Path

from nnzero.evaluation.html import figure_png, img, page, table, text
from nnzero.evaluation.runinfo import RunInfo, read_run

COLUMNS = ["run", "model", "params", "epochs", "best_val_accuracy", "test_accuracy", "seconds"]


def compare_runs(run_dirs: list[str | Path]) -> tuple[list[RunInfo], list[dict]]:
    """The runs, and one row of final metrics for each."""
    infos = [read_run(d) for d in run_dirs]
    return infos, [info.final_metrics() for info in infos]


def plot_compare(infos: list[RunInfo], rows: list[dict], out, with_table: bool = True) -> None:
    """Three panels (loss, accuracy, learning rate against the epoch), one colour per run: its
    training rows every k steps as a line, its validation at each epoch's end as markers."""
    from nnzero.callbacks.curves import draw_run, label_panels
    from nnzero.figures import figure_tr, figure_zh, plt, savefig

    t = figure_tr(figure_zh())
    table_h = 0.35 * (len(rows) + 1) + 0.3 if with_table else 0
    fig = plt.figure(figsize=(15, 4.2 + table_h))
    grid = fig.add_gridspec(2, 3, height_ratios=[4.2, max(table_h, 1e-3)])
    axes = [fig.add_subplot(grid[0, col]) for col in range(3)]
    for i, info in enumerate(infos):
        label = info.name if info.model in info.name else f"{info.name} ({info.model})"
        draw_run(axes, info.rows, info.steps, color=f"C{i % 10}", train_label=label)
    label_panels(axes, t, any(info.steps for info in infos))
    fig.text(
        0.5, 0.995 if with_table else 0.99,
        t("lines: training, every k steps (steps.csv); squares: validation at each epoch's end",
          "曲线: 训练, 每 k 步一点 (steps.csv); 方块: 每轮结束时的验证"),
        ha="center", va="top", fontsize=9, color="0.35",
    )  # fmt: skip
    if with_table:
        ax = fig.add_subplot(grid[1, :])
        ax.axis("off")
        cells = [[_cell(row[c]) for c in COLUMNS] for row in rows]
        ax.table(cellText=cells, colLabels=COLUMNS, loc="center", cellLoc="center").scale(1, 1.3)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    savefig(fig, out, dpi=100, format="png")


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
