"""Callbacks: everything around the training loop hooks in here (the Keras habit).

A callback is any object with any of these methods; both engines call them:

    on_train_begin(run)          # the run folder exists, nothing trained yet (run.history and
                                 # run.steps hold the rows of a resumed run)
    on_step_log(step, row)       # every k steps and at each epoch's end: row holds the training
                                 # loss, accuracy and learning rate since the last one (steps.csv)
    on_epoch_end(epoch, logs)    # logs: that epoch's metrics row (the columns of metrics.csv)
    on_train_end(run)            # run.metrics holds the final metrics (test accuracy and all)

Setting ``run.stop_training = True`` ends training after the current epoch, as Keras's
``model.stop_training`` does. The run log, the curves, early stopping and the HTML report are
callbacks that the default list holds.
"""

from __future__ import annotations

from collections.abc import Iterable

from nnzero.i18n import tr

HOOKS = ("on_train_begin", "on_step_log", "on_epoch_end", "on_train_end")


class Callback:
    """A base with every hook doing nothing; subclassing it is optional (any object with a hook works)."""

    def on_train_begin(self, run) -> None:
        pass

    def on_step_log(self, step: int, row: dict) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, run) -> None:
        pass


class CallbackList:
    """Calls each hook on every callback that has it, in order."""

    def __init__(self, callbacks: Iterable = ()):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not any(callable(getattr(cb, h, None)) for h in HOOKS):
                raise TypeError(
                    tr(
                        "{cb!r} is not a callback: it has none of {hooks}",
                        "{cb!r} 不是回调: 它没有 {hooks} 中的任何一个方法",
                        cb=cb,
                        hooks=", ".join(HOOKS),
                    )
                )

    def _call(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            method = getattr(cb, hook, None)
            if callable(method):
                method(*args)

    def on_train_begin(self, run) -> None:
        self._call("on_train_begin", run)

    def on_step_log(self, step: int, row: dict) -> None:
        self._call("on_step_log", step, row)

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        self._call("on_epoch_end", epoch, logs)

    def on_train_end(self, run) -> None:
        self._call("on_train_end", run)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs (Keras's EarlyStopping).

    It reads ``run.history``, so a resumed run counts the epochs it had already waited.
    """

    def __init__(self, patience: int, monitor: str = "val_accuracy", say=print):
        self.patience, self.monitor, self.say = patience, monitor, say
        self.run = None

    def on_train_begin(self, run) -> None:
        self.run = run

    def stale_epochs(self) -> int:
        """Epochs since the best value of ``monitor`` (falling back to train_accuracy without validation)."""
        scores = [
            r.get(self.monitor) if r.get(self.monitor) is not None else r.get("train_accuracy")
            for r in self.run.history
        ]
        best = max(range(len(scores)), key=lambda i: scores[i], default=-1)  # first best wins ties
        return len(scores) - 1 - best

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if self.patience and self.run is not None and self.stale_epochs() >= self.patience:
            self.run.stop_training = True
            self.say(
                tr(
                    "early stopping: no better {m} for {n} epochs",
                    "提前停止: {m} 已 {n} 轮没有提高",
                    m=self.monitor,
                    n=self.patience,
                )
            )


class EpochPrinter(Callback):
    """One line per epoch: loss, accuracy, validation, time (what the command prints).

    ``held_out`` names what the val columns hold: "val", or "test" for the NumPy engine's runs.
    """

    def __init__(self, say=print, held_out: str = "val"):
        self.say, self.held_out = say, held_out

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        self.say(epoch_line(logs, self.held_out))


def epoch_line(row: dict, held_out: str = "val") -> str:
    """The one-line summary printed at the end of each epoch."""
    parts = [
        tr("epoch {e}", "第 {e} 轮", e=int(row["epoch"])),
        f"loss {row['train_loss']:.4f}",
        f"acc {row['train_accuracy']:.4f}",
    ]
    if row.get("val_loss") is not None:
        parts += [f"{held_out}_loss {row['val_loss']:.4f}", f"{held_out}_acc {row['val_accuracy']:.4f}"]
    parts.append(f"{row['seconds']:.1f}s ({row['images_per_s']:.0f} img/s)")
    return " | ".join(parts)
