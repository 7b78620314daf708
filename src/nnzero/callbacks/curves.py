"""``curves.png``: loss, accuracy and learning rate per epoch, drawn when training ends.

A callback, so both engines draw the same figure from the same metrics rows.
"""

from __future__ import annotations

from pathlib import Path

from nnzero.callbacks.base import Callback


class Curves(Callback):
    """Draws ``run.dir/curves.png`` from ``run.history`` at the end of training."""

    def on_train_end(self, run) -> None:
        if run.dir is not None and run.history:
            plot_curves(run.history, Path(run.dir) / "curves.png", title=Path(run.dir).name)


def plot_curves(rows: list[dict], path: Path, title: str = "") -> None:
    from matplotlib.ticker import MaxNLocator

    from nnzero.figures import plt, savefig

    epochs = [r["epoch"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, key, label in ((axes[0], "loss", "loss"), (axes[1], "accuracy", "accuracy")):
        ax.plot(epochs, [r[f"train_{key}"] for r in rows], "o-", label="train")
        if any(r.get(f"val_{key}") is not None for r in rows):
            ax.plot(epochs, [r[f"val_{key}"] for r in rows], "s-", label="val")
        ax.set_xlabel("epoch")
        ax.set_title(label)
        ax.grid(alpha=0.3)
        ax.legend()
    axes[2].plot(epochs, [r["lr"] for r in rows], "o-", color="tab:green")
    axes[2].set_title("learning rate (end of epoch)")
    axes[2].set_xlabel("epoch")
    axes[2].grid(alpha=0.3)
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    fig.suptitle(title)
    fig.tight_layout()
    savefig(fig, path, dpi=100)
