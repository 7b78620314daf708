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
from nnzero.callbacks.runlog import COLUMNS, RunLog, read_rows

__all__ = [
    "COLUMNS",
    "Callback",
    "CallbackList",
    "Curves",
    "EarlyStopping",
    "EpochPrinter",
    "RunLog",
    "epoch_line",
    "plot_curves",
    "read_rows",
]
