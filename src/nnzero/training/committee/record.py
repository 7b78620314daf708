"""What a committee's folder shows at a glance: members.csv (one row a member) and curves.png
(every member's validation curves on one figure)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from nnzero.atomic import write_text
from nnzero.callbacks import read_rows

COLUMNS = [
    "index", "model", "seed", "epochs", "best_epoch", "val_accuracy", "val_loss", "test_accuracy",
    "test_loss", "train_seconds", "seconds",
]  # fmt: skip


def write_members(run_dir: Path, summaries: list[dict], metrics: dict) -> None:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(summaries)
    write_text(run_dir / "members.csv", text.getvalue())
    rows = [read_rows(run_dir / "members" / str(s["index"]) / "metrics.csv") for s in summaries]
    if any(rows):
        plot_member_curves(rows, metrics, run_dir / "curves.png", title=run_dir.name)


def read_members(run_dir: Path) -> list[dict]:
    """members.csv's rows (numbers as numbers); [] when the folder is not a committee's."""
    path = Path(run_dir) / "members.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(f)]


def _number(value: str):
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value or None


def plot_member_curves(rows: list[list[dict]], metrics: dict, path: Path, title: str = "") -> None:
    """Validation loss and accuracy of every member by epoch, with the committee's as a line."""
    from matplotlib.ticker import MaxNLocator

    from nnzero.figures import plt, savefig

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    for key, ax in zip(("val_loss", "val_accuracy"), axes):
        for i, member in enumerate(rows):
            points = [(r["epoch"], r[key]) for r in member if r.get(key) is not None]
            if points:
                ax.plot(*zip(*points), ".-", lw=1, alpha=0.6, label=f"member {i + 1}" if i < 8 else None)
        committee = metrics.get(key)
        if committee is not None:
            ax.axhline(committee, color="k", ls="--", lw=1.5, label="committee")
        ax.set_xlabel("epoch")
        ax.set_title(key.replace("_", " "))
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[1].legend(fontsize=7, ncol=2)
    fig.suptitle(title)
    fig.tight_layout()
    savefig(fig, path, dpi=100)
