"""Members trained side by side in worker processes, one thread each.

## On a 2-core CPU, two processes of one thread each kept both cores busier than one process of two
## threads (docs/mnist-speed.md, committees): a small network's batch is too small to split well
## between threads, and the batch's augmentation barely splits at all. So each worker trains whole
## members, one after another, and the members are shared out as workers become free.

Ctrl-C reaches every process of the terminal at once; each worker's member saves its last.pt, as a
single run does, and the committee resumes from there. The parent also passes one Ctrl-C on to its
workers (a notebook's interrupt reaches only the parent); a worker acts on the first and ignores
any second one, so that it is never interrupted while saving.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import traceback

from nnzero.errors import NnzeroError
from nnzero.i18n import lang, set_lang, tr
from nnzero.training.committee.member import train_member
from nnzero.training.committee.plan import Plan


def train_in_workers(plan: Plan, indices: list[int], workers: int, say=print) -> list[dict]:
    """Train members ``indices`` in ``workers`` processes; their summaries, in the order they finished."""
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: fork after torch's threads is unsafe
    tasks, results = ctx.Queue(), ctx.Queue()
    for i in indices:
        tasks.put(i)
    threads = max(1, _cores() // workers)
    procs = [
        ctx.Process(target=_work, args=(plan, tasks, results, threads, lang(), os.getpid()), daemon=True)
        for _ in range(workers)
    ]
    for p in procs:
        tasks.put(None)  # one "no more work" per worker
        p.start()
    done: list[dict] = []
    try:
        while len(done) < len(indices):
            kind, *rest = _next(results, procs)
            if kind == "say":
                say(rest[0])
            elif kind == "done":
                done.append(rest[0])
            elif kind == "interrupted":
                raise KeyboardInterrupt
            else:
                raise NnzeroError(tr("a worker failed:\n{t}", "一个工作进程出错:\n{t}", t=rest[0]))
    except BaseException:
        _stop(procs)
        raise
    for p in procs:
        p.join()
    return done


def _next(results, procs) -> tuple:
    """The next message from the workers; an error if every worker has died without saying why."""
    while True:
        try:
            return results.get(timeout=0.5)
        except queue.Empty:
            if not any(p.is_alive() for p in procs):
                return ("error", tr("every worker process has exited", "所有工作进程都已退出"))


def _stop(procs) -> None:
    """One Ctrl-C to each worker still running, then wait while they save their last.pt."""
    for p in procs:
        if p.is_alive() and p.pid is not None:
            try:
                os.kill(p.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
    for p in procs:
        p.join(timeout=120)
        if p.is_alive():
            p.terminate()


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _first_interrupt_only(signum, frame):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the save short
    raise KeyboardInterrupt


class _ParentWatch:
    """A callback that ends a worker whose parent has gone (killed), instead of training on alone."""

    def __init__(self, parent: int):
        self.parent = parent

    def on_epoch_end(self, epoch, logs) -> None:
        if os.getppid() != self.parent:
            os._exit(1)


def _work(plan: Plan, tasks, results, threads: int, language: str, parent: int) -> None:
    import torch

    signal.signal(signal.SIGINT, _first_interrupt_only)
    torch.set_num_threads(threads)
    set_lang(language)
    index = None
    try:
        while (index := tasks.get()) is not None:
            summary = train_member(
                plan,
                index,
                say=lambda m: results.put(("say", m)),
                progress=False,
                callbacks=[_ParentWatch(parent)],
            )
            results.put(("done", summary))
    except KeyboardInterrupt:
        results.put(("interrupted", index))
    except BaseException:  # noqa: BLE001  (the parent shows it; a worker's traceback is lost otherwise)
        results.put(("error", traceback.format_exc()))
