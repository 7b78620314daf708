"""Step rows: the training loss, accuracy and learning rate every k steps (``steps.csv``, ``Run.steps``).

One epoch of the default MNIST run is 223 steps; one row per epoch (metrics.csv) shows nothing
learn. Both engines (and the photo fine-tuning) give a row every ``k`` steps of each epoch and
one at its end, through the ``on_step_log(step, row)`` hook:

    step   the optimizer steps done so far in the whole run (1, 2, ...)
    epoch  the run's position in epochs, a fraction: 0.25 is a quarter of the first epoch, 1.0 its end
    train_loss, train_accuracy   means over the images of the steps since the previous row
    lr     the learning rate of the row's last step

Torch-free, so the NumPy engine logs exactly as the PyTorch trainer does.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from nnzero.atomic import write_text

STEP_COLUMNS = ["step", "epoch", "train_loss", "train_accuracy", "lr"]
POINTS = 50  # a run gets at least this many rows (when it has that many steps), and under 2.5x as many


def log_every(total_steps: int, every: int = 0) -> int:
    """Steps between rows: ``every`` when given (> 0), else the largest of 1, 2, 5, 10, 20, 50, ...
    that still gives the run ``POINTS`` rows (223 steps: every 2, 112 rows; 2,230: every 20)."""
    if every > 0:
        return every
    ## 1-2-5 steps, as on a ruler: the rows fall on round step numbers, 50 to 125 of them
    k, candidates = 1, (1, 2, 5)
    for decade in (1, 10, 100, 1_000, 10_000, 100_000):
        for c in candidates:
            if total_steps // (c * decade) >= POINTS:
                k = c * decade
    return k


def is_row_step(done_in_epoch: int, steps_in_epoch: int, every: int) -> bool:
    """After ``done_in_epoch`` steps of an epoch of ``steps_in_epoch``, is a row due?

    ## Every k steps of each epoch, and at its end: the windows never straddle two epochs, so the
    ## last row of an epoch falls exactly on its end, where validation is marked.
    """
    return done_in_epoch % every == 0 or done_in_epoch == steps_in_epoch


def step_row(step: int, epoch: float, loss: float, accuracy: float, lr: float) -> dict:
    """One row of steps.csv, the same for every engine."""
    return {
        "step": int(step),
        "epoch": round(epoch, 4),
        "train_loss": loss,
        "train_accuracy": accuracy,
        "lr": lr,
    }


def as_rows(on_row, steps_per_epoch: int, first_epoch: float = 0.0):
    """A training loop's ``on_step(step, loss_sum, correct, seen, lr)`` (the sums over the steps since
    the last call), made into step rows for ``on_row(row)``; ``first_epoch``: where step 0 lies."""

    def on_step(step: int, loss_sum: float, correct: float, seen: int, lr: float) -> None:
        epoch = first_epoch + step / steps_per_epoch
        on_row(step_row(step, epoch, loss_sum / max(1, seen), correct / max(1, seen), lr))

    return on_step


def read_steps(csv_path: str | Path, up_to: int | None = None) -> list[dict]:
    """The rows of a steps.csv, sorted by step, one per step; [] when there is none.

    ``up_to``: drop the rows after that step (a resumed run redoes them: no duplicate, no gap).
    A last line cut short is dropped, not an error.
    """
    csv_path = Path(csv_path)
    if not csv_path.exists():
        return []
    by_step: dict[int, dict] = {}
    with csv_path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                clean = {k: float(v) for k, v in row.items() if k in STEP_COLUMNS}
                clean["step"] = int(clean["step"])
            except (KeyError, TypeError, ValueError):
                break  # a truncated last row
            if up_to is None or clean["step"] <= up_to:
                by_step[clean["step"]] = clean
    return [by_step[s] for s in sorted(by_step)]


def csv_text(columns: list[str], rows: list[dict], whole: tuple[str, ...] = (), header: bool = True) -> str:
    """``rows`` as CSV text; empty cells for None, the ``whole`` columns as integers (1, not 1.0)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    if header:
        writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if r.get(k) is None else int(r[k]) if k in whole else r[k] for k in columns])
    return text.getvalue()


class StepsFile:
    """steps.csv: written whole (atomically) when a run starts or resumes, then one line per row.

    ## Rewriting the whole file every k steps would cost a disk sync each time and grow with the
    ## run; a line appended and flushed goes out in one write, so a kill -9 leaves whole lines, never
    ## half of one. The rows after a resumed run's checkpoint are dropped when it starts again, and
    ## ``sync`` (at each epoch end, before last.pt) makes the rows durable before the checkpoint
    ## that counts them is.
    """

    def __init__(self, path: str | Path, rows: list[dict]):
        self.path = Path(path)
        write_text(self.path, csv_text(STEP_COLUMNS, rows, ("step",)))
        self._file = self.path.open("a", newline="", encoding="utf-8")

    def append(self, row: dict) -> None:
        self._file.write(csv_text(STEP_COLUMNS, [row], ("step",), header=False))
        self._file.flush()

    def sync(self) -> None:
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()
