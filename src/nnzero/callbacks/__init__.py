"""Callbacks for both engines: ``on_train_begin(run)``, ``on_epoch_end(epoch, logs)``, ``on_train_end(run)``.

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


def default_callbacks(patience: int = 0, say=print, held_out: str = "val") -> list:
    """What every run of either engine gets first: the epoch line, metrics.csv and TensorBoard,
    early stopping (when ``patience``) and curves.png. ``nnzero.train`` adds the report."""
    callbacks: list = [EpochPrinter(say, held_out), RunLog()]
    if patience:
        callbacks.append(EarlyStopping(patience, say=say))
    return [*callbacks, Curves()]


__all__ = [
    "default_callbacks",
    "COLUMNS",
    "Callback",
    "CallbackList",
    "Curves",
    "EarlyStopping",
    "EpochPrinter",
    "RunLog",
    "epoch_line",
    "epoch_row",
    "plot_curves",
    "read_rows",
]
