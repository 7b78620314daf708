"""Per-epoch metrics of a run: ``metrics.csv``, TensorBoard event files, and PNG curves.

Torch-free (it writes TensorBoard's event format through the ``tensorboard``
package), so the NumPy engine logs exactly as the PyTorch trainer does.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from nnzero.i18n import tr

COLUMNS = [
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "seconds",
    "images_per_s",
]


class RunLog:
    """Appends one row per epoch; on resume it keeps the rows already written."""

    def __init__(self, run_dir: str | Path, tensorboard: bool = True):
        self.run_dir = Path(run_dir)
        self.csv_path = self.run_dir / "metrics.csv"
        self.rows: list[dict] = self._read_rows()
        self._tb = None
        if tensorboard:
            from tensorboard.summary.writer.event_file_writer import EventFileWriter

            self._tb = EventFileWriter(str(self.run_dir / "tensorboard"))

    def _read_rows(self) -> list[dict]:
        if not self.csv_path.exists():
            return []
        with self.csv_path.open(newline="", encoding="utf-8") as f:
            return [
                {k: (float(v) if v not in ("", None) else None) for k, v in row.items()}
                for row in csv.DictReader(f)
            ]

    def log_epoch(self, row: dict) -> None:
        row = {k: row.get(k) for k in COLUMNS}
        self.rows = [r for r in self.rows if r["epoch"] != row["epoch"]] + [row]
        new_file = not self.csv_path.exists()
        with self.csv_path.open("a", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, COLUMNS)
            if new_file:
                writer.writeheader()
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
        self._scalars(
            int(row["epoch"]),
            {
                "loss/train": row["train_loss"],
                "loss/val": row["val_loss"],
                "accuracy/train": row["train_accuracy"],
                "accuracy/val": row["val_accuracy"],
                "lr": row["lr"],
            },
        )

    def _scalars(self, step: int, values: dict) -> None:
        if self._tb is None:
            return
        from tensorboard.compat.proto import event_pb2, summary_pb2

        summary = summary_pb2.Summary(
            value=[
                summary_pb2.Summary.Value(tag=k, simple_value=float(v))
                for k, v in values.items()
                if v is not None
            ]
        )
        self._tb.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))
        self._tb.flush()

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None

    def plot(self, path: str | Path | None = None) -> Path:
        """Loss, accuracy and learning rate per epoch, as one PNG (curves.png)."""
        from nnzero.evaluation.plots import plot_curves

        path = Path(path or self.run_dir / "curves.png")
        plot_curves(self.rows, path, title=self.run_dir.name)
        return path


def epoch_line(row: dict) -> str:
    """The one-line summary printed at the end of each epoch."""
    parts = [
        tr("epoch {e}", "第 {e} 轮", e=int(row["epoch"])),
        f"loss {row['train_loss']:.4f}",
        f"acc {row['train_accuracy']:.4f}",
    ]
    if row.get("val_loss") is not None:
        parts += [f"val_loss {row['val_loss']:.4f}", f"val_acc {row['val_accuracy']:.4f}"]
    parts.append(f"{row['seconds']:.1f}s ({row['images_per_s']:.0f} img/s)")
    return " | ".join(parts)
