"""Callbacks for both engines: ``on_train_begin(run)``, ``on_step_log(step, row)`` (every k steps),
``on_epoch_end(epoch, logs)``, ``on_train_end(run)``.

class StopAt99:
    def on_train_begin(self, run):
        self.run = run
    def on_epoch_end(self, epoch, logs):
        if logs["val_accuracy"] and logs["val_accuracy"] >= 0.99:
            self.run.stop_training = True

nnzero.train("mnist", callbacks=[StopAt99()])
"""

from nnzero.callbacks.base import Callback, CallbackList, EarlyStopping, EpochPrinter, epoch_line
from nnzero.callbacks.curves import Curves, plot_curves
from nnzero.callbacks.runlog import COLUMNS, RunLog, epoch_row, read_rows
from nnzero.callbacks.steps import STEP_COLUMNS, as_rows, is_row_step, log_every, read_steps, step_row


def default_callbacks(patience: int = 0, say=print, held_out: str = "val") -> list:
    """What every run of either engine gets first: the epoch line, metrics.csv, steps.csv and TensorBoard,
    early stopping (when ``patience``) and curves.png. ``nnzero.train`` adds the report."""
    callbacks: list = [EpochPrinter(say, held_out), RunLog()]
    if patience:
        callbacks.append(EarlyStopping(patience, say=say))
    return [*callbacks, Curves(held_out)]


__all__ = [
    "default_callbacks",
    "as_rows",
    "COLUMNS",
    "STEP_COLUMNS",
    "Callback",
    "CallbackList",
    "Curves",
    "EarlyStopping",
    "EpochPrinter",
    "RunLog",
    "epoch_line",
    "epoch_row",
    "is_row_step",
    "log_every",
    "plot_curves",
    "read_rows",
    "read_steps",
    "step_row",
]
