"""Data-parallel training with PyTorch's DistributedDataParallel (DDP), under torchrun.

## Data parallelism: every process (a "rank") holds a whole copy of the model and computes
## the gradient of its own share of each batch. After backward, DDP averages the ranks'
## gradients (an all-reduce), so every copy takes the same step and the copies stay equal.
## With equal shares, the mean of the ranks' mean gradients is the mean gradient of the
## whole batch: N processes with batch B/N each train like one process with batch B.

torchrun starts the processes and tells each who it is in environment variables: RANK
(0 .. WORLD_SIZE-1 over all machines), WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE (on this
machine), MASTER_ADDR and MASTER_PORT (where rank 0 listens). Without them nothing here
does anything and training is the single process it always was.

Rank 0 alone writes files and prints. Small bookkeeping (epoch sums, the run name, the
checkpoint to resume from) travels from CPU tensors over gloo; on CUDA machines DDP's
gradients go over nccl. Every collective has a timeout (NNZERO_DIST_TIMEOUT seconds), so a
dead or hung rank ends the others with an error instead of a silent wait.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.training.loop import TensorData, predict_logits
from nnzero.training.loop import evaluate as evaluate_whole

TIMEOUT_ENV = "NNZERO_DIST_TIMEOUT"
DEFAULT_TIMEOUT = 300  # seconds a rank waits for the others in one collective before giving up
TORCHRUN_ENV = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class Place:
    """Where this process stands among all the processes of a run."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    local_world: int = 1
    backend: str = ""

    @property
    def is_main(self) -> bool:
        return self.rank == 0


_place = Place()  # this process's place once `start` has joined the group


def requested(environ=os.environ) -> bool:
    """True when torchrun (or an equivalent launcher) started this process."""
    return all(k in environ for k in TORCHRUN_ENV)


def active() -> bool:
    return dist.is_available() and dist.is_initialized()


def place() -> Place:
    return _place


def timeout_seconds(environ=os.environ) -> float:
    raw = environ.get(TIMEOUT_ENV, str(DEFAULT_TIMEOUT))
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise NnzeroError(f"{TIMEOUT_ENV}={raw!r}: give the timeout in seconds, e.g. {TIMEOUT_ENV}=300")
    return value


def start(environ=os.environ) -> Place:
    """Join the process group torchrun describes; gloo for CPU tensors, plus nccl for CUDA ones."""
    global _place
    env = {k: int(environ.get(k, d)) for k, d in (("RANK", 0), ("WORLD_SIZE", 1), ("LOCAL_RANK", 0))}
    local_world = int(environ.get("LOCAL_WORLD_SIZE", env["WORLD_SIZE"]))
    ## nccl moves CUDA tensors GPU to GPU; gloo moves CPU tensors. "cpu:gloo,cuda:nccl"
    ## picks per tensor, so the model may train on either and bookkeeping stays on the CPU.
    backend = "cpu:gloo,cuda:nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(
        backend,
        rank=env["RANK"],
        world_size=env["WORLD_SIZE"],
        timeout=timedelta(seconds=timeout_seconds(environ)),
    )
    _place = Place(env["RANK"], env["WORLD_SIZE"], env["LOCAL_RANK"], local_world, backend)
    return _place


def leave(code: int) -> None:
    """Flush and end this process at once with ``code``, skipping the interpreter's teardown.

    ## A torchrun worker's last step (``cli.run``): tearing down a gloo group at exit can abort
    ## ("terminate called without an active exception") and turn a clear error into a crash signal:
    ## after a lost peer, and after a good run too (seen once in a full test run, 2026-12-06: rank 0
    ## aborted after its report, as the DDP model, which holds the group, was destroyed at exit).
    ## Every file is written and closed by then.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def stop() -> None:
    global _place
    if active():
        dist.destroy_process_group()
    _place = Place()


@contextmanager
def session():
    """Join the group for the duration of a run; a lost peer (even at the start) becomes a clear NnzeroError."""
    try:
        yield start()
        ## Rank 0 tests and reports alone after the last epoch while the others are done. Wait for it, so
        ## that no rank tears down its half of the group while a peer still holds the other half: a rank
        ## that left first could abort at exit ("terminate called without an active exception"). A CPU
        ## tensor's all-reduce is the barrier: it goes through gloo even where CUDA tensors use nccl.
        dist.all_reduce(torch.zeros(1))
    except (dist.DistError, RuntimeError) as e:
        if not isinstance(e, dist.DistError) and not _is_communication_error(e):
            raise
        raise lost_contact(e) from e
    finally:
        stop()


def _is_communication_error(e: BaseException) -> bool:
    text = str(e).lower()
    return any(s in text for s in ("gloo", "nccl", "connection", "timed out", "timeout", "peer"))


def lost_contact(e: BaseException) -> NnzeroError:
    text = re.sub(r"^\[[^\]]*\]\s*", "", str(e).strip())  # gloo starts with its source file: not useful here
    first = (text.splitlines() or [type(e).__name__])[0].split(". ")[0][:300]
    return NnzeroError(
        tr(
            "rank {r}: lost contact with the other processes ({err}). Another rank has probably "
            "died (see its own error) or hung for more than {t:.0f} s ({env}); see docs/distributed.md",
            "rank {r}: 与其他进程失去联系 ({err})。很可能另一个 rank 已经退出 (看它自己的报错), "
            "或卡住超过 {t:.0f} 秒 ({env}); 见 docs/distributed.zh-CN.md",
            r=_place.rank,
            err=first,
            t=timeout_seconds(),
            env=TIMEOUT_ENV,
        )
    )


def cpu_cores() -> int:
    """The cores this process may run on (fewer than the machine's under taskset or a container)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def use_cores() -> None:
    """Share this machine's cores among its processes: cores / LOCAL_WORLD_SIZE threads each."""
    torch.set_num_threads(max(1, cpu_cores() // _place.local_world))


def check_batch(batch_size: int, world: int) -> None:
    if batch_size % world:
        raise NnzeroError(
            tr(
                "batch size {b} does not split evenly over {n} processes; use a multiple of {n}, e.g. {m}",
                "批大小 {b} 不能平均分给 {n} 个进程; 请用 {n} 的倍数, 如 {m}",
                b=batch_size,
                n=world,
                m=max(world, batch_size // world * world),
            )
        )


# -- hooks the Trainer calls (each does nothing without a process group) -------------------
def local_device(device: torch.device) -> torch.device:
    """A CUDA run uses GPU number LOCAL_RANK on each machine."""
    if not active() or device.type == "cpu":
        return device
    if device.type != "cuda":
        raise NnzeroError(
            tr(
                "distributed training runs on CUDA GPUs (nccl) or the CPU (gloo), not on {d}; add --device cpu",
                "分布式训练只能用 CUDA GPU (nccl) 或 CPU (gloo), 不能用 {d}; 请加 --device cpu",
                d=device,
            )
        )
    if _place.local_rank >= torch.cuda.device_count():
        raise NnzeroError(
            tr(
                "{n} processes on this machine but only {g} GPU(s): one process per GPU (--nproc_per_node={g})",
                "本机 {n} 个进程但只有 {g} 块 GPU: 每块 GPU 一个进程 (--nproc_per_node={g})",
                n=_place.local_world,
                g=torch.cuda.device_count(),
            )
        )
    torch.cuda.set_device(_place.local_rank)
    return torch.device("cuda", _place.local_rank)


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """The model wrapped in DDP (which also copies rank 0's weights to every rank)."""
    if not active():
        return model
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def _sum(values: list[float], op=dist.ReduceOp.SUM) -> list[float]:
    t = torch.tensor(values, dtype=torch.float64)  # CPU, so it goes over gloo
    dist.all_reduce(t, op=op)
    return t.tolist()


def reduce_sums(values: list[float]) -> list[float]:
    """Sums over all ranks (a step row's loss, hits and images), the same on every rank."""
    return _sum(values) if active() else values


def reduce_epoch(stats: dict, tally: dict) -> dict:
    """The epoch's exact dataset-level averages over all ranks, the same numbers on every rank."""
    if not active():
        return stats
    loss_sum, correct, seen = _sum([tally["loss_sum"], tally["correct"], tally["seen"]])
    (seconds,) = _sum([stats["seconds"]], dist.ReduceOp.MAX)  # the slowest rank sets the pace
    return {
        **stats,
        "loss": loss_sum / max(1, seen),
        "accuracy": correct / max(1, seen),
        "images": int(seen),
        "seconds": seconds,
        "images_per_s": seen / max(1e-9, seconds),
    }


def evaluate(
    model: nn.Module, data: TensorData, batch_size: int = 1000, max_batches: int | None = None
) -> dict:
    """Each rank evaluates a slice of the set; the summed loss and hits are shared by all ranks."""
    if isinstance(model, DistributedDataParallel):
        model = model.module  # no collectives in evaluation: each rank runs its own copy
    if not active():
        return evaluate_whole(model, data, batch_size, max_batches)
    lo, hi = (len(data) * _place.rank // _place.world, len(data) * (_place.rank + 1) // _place.world)
    part = TensorData(data.images[lo:hi], data.labels[lo:hi], data.mean, data.std)
    logits = predict_logits(model, part, batch_size, max_batches) if hi > lo else torch.zeros(0, 1)
    labels = part.labels[: len(logits)]
    loss = F.cross_entropy(logits, labels, reduction="sum").item() if len(labels) else 0.0
    hits = int((logits.argmax(1) == labels).sum()) if len(labels) else 0
    loss_sum, correct, n = _sum([loss, hits, len(labels)])
    return {"loss": loss_sum / max(1, n), "accuracy": correct / max(1, n), "logits": None}


def share_tally(tally: dict) -> dict:
    """On resume, rank 0's saved sums of the interrupted epoch are counted once, not once per rank."""
    if active() and not _place.is_main:
        counted = ("loss_sum", "correct", "seen", "window_loss", "window_correct", "window_seen")
        tally = {**tally, **dict.fromkeys(counted, 0)}
    return tally


def on_main(fn: Callable, *args, **kwargs):
    """``fn`` runs on rank 0 only; every rank gets its result (or rank 0's error)."""
    if not active():
        return fn(*args, **kwargs)
    box: list = [None]
    if _place.is_main:
        try:
            box[0] = ("ok", fn(*args, **kwargs))
        except NnzeroError as e:
            box[0] = ("error", e)
    dist.broadcast_object_list(box, src=0, device=torch.device("cpu"))
    kind, value = box[0]
    if kind == "error":
        if _place.is_main:
            raise value
        raise SystemExit(2)  # rank 0 prints the message; the others leave quietly
    return value
