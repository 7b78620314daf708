"""Per-epoch metrics of a run: ``metrics.csv`` and TensorBoard event files.

Torch-free (it writes TensorBoard's event format through the ``tensorboard``
package), so the NumPy engine logs exactly as the PyTorch trainer does.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

from nnzero.atomic import write_text
from nnzero.callbacks.base import Callback

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


def epoch_row(
    epoch: int, train: tuple, held_out: tuple | None, lr: float, seconds: float, images: int
) -> dict:
    """One epoch's metrics row, the same for both engines: ``train`` and ``held_out`` are
    (loss, accuracy) pairs (``held_out`` None without a validation set)."""
    val_loss, val_accuracy = held_out if held_out is not None else (None, None)
    return {
        "epoch": epoch,
        "train_loss": train[0],
        "train_accuracy": train[1],
        "val_loss": val_loss,
        "val_accuracy": val_accuracy,
        "lr": lr,
        "seconds": round(seconds, 3),
        "images_per_s": round(images / max(seconds, 1e-9), 1),
    }


def read_rows(csv_path: str | Path) -> list[dict]:
    """The rows of a metrics.csv (numbers as floats, empty cells as None); [] when there is none.

    A last line cut short (the process was killed while writing it) is dropped, not an error; an
    epoch written twice (a resumed run redid it) keeps its last row.
    """
    csv_path = Path(csv_path)
    if not csv_path.exists():
        return []
    with csv_path.open(newline="", encoding="utf-8") as f:
        by_epoch: dict[float, dict] = {}
        for row in csv.DictReader(f):
            try:
                clean = {k: (float(v) if v not in ("", None) else None) for k, v in row.items()}
            except (TypeError, ValueError):
                break  # a truncated last row
            if clean.get("epoch") is not None:
                by_epoch[clean["epoch"]] = clean
        return sorted(by_epoch.values(), key=lambda r: r["epoch"])


def _cell(key: str, value) -> str | float | int:
    if value is None:
        return ""
    return int(value) if key == "epoch" else value  # read back as floats: 1.0 is written 1 again


class RunLog(Callback):
    """Appends one row per epoch to metrics.csv and TensorBoard; a resumed run keeps its rows.

    Without ``run_dir`` it logs into the run's own folder, known when training begins (a run
    without a folder logs nothing).
    """

    def __init__(self, run_dir: str | Path | None = None, tensorboard: bool = True):
        self.tensorboard = tensorboard
        self._tb = None
        self.run_dir = self.csv_path = None
        self.rows: list[dict] = []
        if run_dir is not None:
            self._open(Path(run_dir))

    def _open(self, run_dir: Path) -> None:
        self.run_dir, self.csv_path = run_dir, run_dir / "metrics.csv"
        self.rows = read_rows(self.csv_path)

    def on_train_begin(self, run) -> None:
        if self.run_dir is None and run.dir is not None:
            self._open(Path(run.dir))
        if self.run_dir is not None and self.tensorboard and self._tb is None:
            from tensorboard.summary.writer.event_file_writer import EventFileWriter

            self._tb = EventFileWriter(str(self.run_dir / "tensorboard"))

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if self.run_dir is not None:
            self.log_epoch(logs)

    def on_train_end(self, run) -> None:
        self.close()

    def log_epoch(self, row: dict) -> None:
        row = {k: row.get(k) for k in COLUMNS}
        self.rows = [r for r in self.rows if r["epoch"] != row["epoch"]] + [row]
        # the whole file again, atomically (a few hundred bytes an epoch): a kill mid-write leaves the
        # previous file, never a half row that the next append would glue onto
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, COLUMNS, lineterminator="\n")
        writer.writeheader()
        for r in sorted(self.rows, key=lambda r: r["epoch"]):
            writer.writerow({k: _cell(k, r.get(k)) for k in COLUMNS})
        write_text(self.csv_path, text.getvalue())
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
