"""A run's metrics: ``metrics.csv`` (one row per epoch), ``steps.csv`` (one every k steps) and TensorBoard.

Torch-free (it writes TensorBoard's event format through the ``tensorboard``
package), so the NumPy engine logs exactly as the PyTorch trainer does.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from nnzero.atomic import write_text
from nnzero.callbacks.base import Callback
from nnzero.callbacks.steps import STEP_COLUMNS, StepsFile, csv_text, read_steps

COLUMNS = [
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "seconds",
    "images_per_s",
    "step",  # the run's step count at the epoch's end (where steps.csv's rows of the epoch end)
]


def epoch_row(
    epoch: int,
    train: tuple,
    held_out: tuple | None,
    lr: float,
    seconds: float,
    images: int,
    step: int | None = None,
) -> dict:
    """One epoch's metrics row, the same for both engines: ``train`` and ``held_out`` are
    (loss, accuracy) pairs (``held_out`` None without a validation set); ``step``: the run's
    step count at the epoch's end."""
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
        "step": step,
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


class RunLog(Callback):
    """Writes metrics.csv (a row per epoch), steps.csv (a row every k steps) and TensorBoard;
    a resumed run keeps its rows.

    Without ``run_dir`` it logs into the run's own folder, known when training begins (a run
    without a folder logs nothing). TensorBoard gets the step rows as loss/train, accuracy/train
    and lr at their step, and validation at the step that ends each epoch.
    """

    def __init__(self, run_dir: str | Path | None = None, tensorboard: bool = True):
        self.tensorboard = tensorboard
        self._tb = self._steps_file = None
        self.run_dir = self.csv_path = None
        self.rows: list[dict] = []
        self.steps: list[dict] = []
        if run_dir is not None:
            self._open(Path(run_dir))

    def _open(self, run_dir: Path) -> None:
        self.run_dir, self.csv_path = run_dir, run_dir / "metrics.csv"
        self.rows = read_rows(self.csv_path)
        self.steps = read_steps(run_dir / "steps.csv")

    def on_train_begin(self, run) -> None:
        if self.run_dir is None and run.dir is not None:
            self._open(Path(run.dir))
        if self.run_dir is not None and run.dir is not None and Path(run.dir) == self.run_dir:
            self.steps = list(run.steps)  # a resumed run's rows up to its checkpoint's step
        if self.run_dir is not None and self.tensorboard and self._tb is None:
            from tensorboard.summary.writer.event_file_writer import EventFileWriter

            self._tb = EventFileWriter(str(self.run_dir / "tensorboard"), flush_secs=10)

    def on_step_log(self, step: int, row: dict) -> None:
        if self.run_dir is not None:
            self.log_step(row)

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if self.run_dir is not None:
            self.log_epoch(logs)

    def on_train_end(self, run) -> None:
        self.close()

    def log_step(self, row: dict) -> None:
        row = {k: row.get(k) for k in STEP_COLUMNS}
        if self._steps_file is None or (self.steps and self.steps[-1]["step"] >= row["step"]):
            self.steps = [r for r in self.steps if r["step"] < row["step"]]
            self._restart_steps()
        self.steps.append(row)
        self._steps_file.append(row)
        values = {"loss/train": row["train_loss"], "accuracy/train": row["train_accuracy"], "lr": row["lr"]}
        self._scalars(int(row["step"]), values, flush=False)  # the writer's thread flushes every 10 s

    def _restart_steps(self) -> None:
        if self._steps_file is not None:
            self._steps_file.close()
        self._steps_file = StepsFile(self.run_dir / "steps.csv", self.steps)

    def log_epoch(self, row: dict) -> None:
        row = {k: row.get(k) for k in COLUMNS}
        if self._steps_file is not None:
            self._steps_file.sync()  # the epoch's step rows on disk before the checkpoint that counts them
        self.rows = [r for r in self.rows if r["epoch"] != row["epoch"]] + [row]
        # the whole file again, atomically (a few hundred bytes an epoch): a kill mid-write leaves the
        # previous file, never a half row that the next append would glue onto
        rows = sorted(self.rows, key=lambda r: r["epoch"])
        write_text(self.csv_path, csv_text(COLUMNS, rows, ("epoch", "step")))
        values = {"loss/val": row["val_loss"], "accuracy/val": row["val_accuracy"]}
        if not self.steps:  # a run without step rows (the photo head's one solve): its epoch is the point
            values |= {
                "loss/train": row["train_loss"],
                "accuracy/train": row["train_accuracy"],
                "lr": row["lr"],
            }
        at = row["step"] if row.get("step") is not None else row["epoch"]
        self._scalars(int(at), values)

    def _scalars(self, step: int, values: dict, flush: bool = True) -> None:
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
        if flush:
            self._tb.flush()

    def close(self) -> None:
        if self._steps_file is not None:
            self._steps_file.close()
            self._steps_file = None
        if self._tb is not None:
            self._tb.close()
            self._tb = None
