"""Ctrl-C between batches, never inside one, so that a resumed run repeats exactly what was not done.

    with between_batches() as interrupt:
        for batch in ...:
            ...                    # forward, backward, step, the tally
            interrupt.check()      # a Ctrl-C that came during the batch is raised here

## A batch changes the run in several places: batch norm's running statistics in the forward pass,
## the weights in optimizer.step, the tally after it. A KeyboardInterrupt raised between two of them
## would leave last.pt with half a batch applied, and the resumed run would apply it again (batch
## norm's statistics one batch ahead: a committee's resumed member differed from the straight one).
## So a Ctrl-C during a batch is noted, and handed to the handler it was meant for when the batch
## is done. Only in the main thread (where Python runs signal handlers) and only when a Python
## handler is set (a terminal's, a notebook's, a committee worker's); otherwise nothing changes.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


class Deferred:
    """The Ctrl-C noted during a batch, if any; ``check`` hands it on."""

    def __init__(self, handler=None):
        self.handler = handler  # the handler the signal was meant for (None: nothing deferred)
        self.pending = False

    def note(self, signum, frame) -> None:
        self.pending = True

    def check(self) -> None:
        if not self.pending:
            return
        self.pending = False
        signal.signal(
            signal.SIGINT, self.handler
        )  # the handler's own choices (ignore a second one) apply again
        self.handler(signal.SIGINT, None)  # a terminal's: raises KeyboardInterrupt
        signal.signal(signal.SIGINT, self.note)  # a handler that did not raise: keep deferring


@contextmanager
def between_batches():
    """Within the block, SIGINT waits for ``check()``; the previous handler is back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield Deferred()
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):  # ignored, or the system's default: leave it so
        yield Deferred()
        return
    deferred = Deferred(previous)
    signal.signal(signal.SIGINT, deferred.note)
    try:
        yield deferred
        deferred.check()  # one that came after the last batch's check
    finally:
        if signal.getsignal(signal.SIGINT) == deferred.note:
            signal.signal(signal.SIGINT, previous)
