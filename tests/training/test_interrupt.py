"""Ctrl-C during a batch waits for the batch's end, then reaches the handler it was meant for."""

from __future__ import annotations

import os
import signal

import pytest

from nnzero.training.interrupt import between_batches


@pytest.fixture(autouse=True)
def _python_s_own_handler():
    """Python's Ctrl-C handler for each test, whatever the test run inherited (a shell starts background
    jobs with SIGINT ignored: the tests would see no KeyboardInterrupt there)."""
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, inherited)


def test_ctrl_c_in_a_batch_is_raised_at_its_end_and_the_handler_comes_back():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with between_batches() as interrupt:
            for batch in range(3):
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of the batch
                done.append(batch)  # the rest of the batch still runs
                interrupt.check()
    assert done == [0]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_handler_meant_for_it_decides_once_for_two_ctrl_cs_in_one_batch():
    """A committee worker's handler ignores every Ctrl-C after the first: deferring must keep that."""
    seen = []

    def first_only(signum, frame):
        seen.append(signum)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGINT, first_only)
    try:
        with pytest.raises(KeyboardInterrupt):
            with between_batches() as interrupt:
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGINT)  # the parent passes one more on
                interrupt.check()
        assert seen == [signal.SIGINT]
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # the worker's own choice stands
    finally:
        signal.signal(signal.SIGINT, old)


def test_a_ctrl_c_after_the_last_check_is_not_lost():
    with pytest.raises(KeyboardInterrupt):
        with between_batches():
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
