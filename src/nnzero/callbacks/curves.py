"""``curves.png``: loss, accuracy and learning rate against the epoch, drawn when training ends.

The training rows every k steps (steps.csv) are lines, so a one-epoch run shows its loss
falling and the one-cycle schedule its rise and fall; validation, measured at each epoch's end
(metrics.csv), is a marker there. A run without step rows (the photo head's one solve, a run
folder from before steps.csv) is drawn from its epoch rows alone.

A callback, so both engines draw the same figure from the same rows; ``nnzero compare`` and the
report draw with ``draw_run`` too.
"""

from __future__ import annotations

from pathlib import Path

from nnzero.callbacks.base import Callback

PANELS = (  # (the rows' key, English title, Chinese title)
    ("loss", "loss", "损失"),
    ("accuracy", "accuracy", "准确率"),
    ("lr", "learning rate", "学习率"),
)


class Curves(Callback):
    """Draws ``run.dir/curves.png`` from ``run.steps`` and ``run.history`` at the end of training.

    ``held_out`` names what the val columns hold: "val", or "test" for the NumPy engine's runs.
    """

    def __init__(self, held_out: str = "val"):
        self.held_out = held_out

    def on_train_end(self, run) -> None:
        if run.dir is not None and (run.history or run.steps):
            path, smoothing = Path(run.dir) / "curves.png", label_smoothing(run.config)
            plot_curves(run.history, path, Path(run.dir).name, run.steps, self.held_out, smoothing)


def label_smoothing(config: dict) -> float:
    """The run's label smoothing (0 without): its training loss cannot fall below a floor above 0."""
    train = config.get("train") if isinstance(config, dict) else None
    return float((train or {}).get("label_smoothing") or 0.0)


def every(steps: list[dict]) -> int:
    """The steps between two rows (the first gap: an epoch's last row may come sooner)."""
    if len(steps) >= 2:
        return int(steps[1]["step"] - steps[0]["step"])
    return int(steps[0]["step"]) if steps else 0


def plot_curves(
    rows: list[dict],
    path,
    title: str = "",
    steps: list[dict] | None = None,
    held_out: str = "val",
    smoothing: float = 0.0,
) -> None:
    """Three panels (loss, accuracy, learning rate) of one run into ``path`` (a PNG); ``smoothing``:
    the run's label smoothing, which the legend names (the training loss has it, validation not)."""
    from nnzero.figures import figure_tr, figure_zh, plt, savefig

    t = figure_tr(figure_zh())
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    steps = steps or []
    train = _train_label(t, every(steps), smoothing)
    shown = {"val": t("validation", "验证"), "test": t("test", "测试")}.get(held_out, held_out)
    draw_run(axes, rows, steps, train_label=train, held_label=t("{h} (epoch end)", "{h} (每轮结束)", h=shown))
    label_panels(axes, t, bool(steps))
    fig.suptitle(title)
    fig.tight_layout()
    savefig(fig, path, dpi=100)


def _train_label(t, k: int, smoothing: float) -> str:
    """The training line's legend: how often a row came, and the label smoothing its loss includes."""
    how = (
        [t("every step", "每一步") if k == 1 else t("mean of each {k} steps", "每 {k} 步的平均", k=k)]
        if k
        else []
    )
    if smoothing:
        how.append(t("label smoothing {s:g}", "标签平滑 {s:g}", s=smoothing))
    return t("train", "训练") + (f" ({'; '.join(how)})" if how else "")


def draw_run(
    axes, rows: list[dict], steps: list[dict], *, color=None, train_label=None, held_label=None
) -> None:
    """One run onto the three panels: step rows as lines, epoch-end validation as markers.

    Without step rows, the epoch rows' training columns are the line (one point per epoch).
    """
    from matplotlib.ticker import MaxNLocator

    val = [r for r in rows if r.get("val_loss") is not None]
    train = steps or rows
    x = [r["epoch"] for r in train]
    style = dict(color=color, linewidth=1.3) | ({} if steps else dict(marker="o", markersize=4))
    for ax, (key, _, _) in zip(axes, PANELS):
        column = key if key == "lr" else f"train_{key}"
        points = [(e, r[column]) for e, r in zip(x, train) if r.get(column) is not None]
        if points:
            ax.plot(*zip(*points), label=train_label, **style)
        if key != "lr" and val:
            ## validation is measured once per epoch, at its end: markers there, joined lightly
            ax.plot(
                [r["epoch"] for r in val], [r[f"val_{key}"] for r in val], "s--", color=color,
                markersize=6, linewidth=0.8, label=held_label,
            )  # fmt: skip
        if not steps:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs only


def label_panels(axes, t, from_zero: bool) -> None:
    """Titles, axis labels, grids and the legend, once every run is drawn (``t``: ``figure_tr``)."""
    for ax, (_, en, zh) in zip(axes, PANELS):
        ax.set_title(t(en, zh))
        ax.set_xlabel(t("epoch", "轮"))
        ax.grid(alpha=0.3)
        if from_zero:
            ax.set_xlim(left=0)  # the first row comes k steps in; the run starts at 0
    axes[0].legend(fontsize=8)
