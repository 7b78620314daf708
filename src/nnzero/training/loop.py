"""The training loop, in the course's five steps: forward, loss, backward, step, zero_grad.

Data sets are held whole in memory as uint8 tensors; a batch is indexed, turned into
floats, augmented and normalised on the fly. No per-sample decoding and no worker
processes, so an MNIST epoch costs only the model's own arithmetic.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nnzero.callbacks.steps import is_row_step
from nnzero.datasets.base import ImageSet
from nnzero.progress import Progress
from nnzero.schedule import lr_at
from nnzero.training.interrupt import between_batches
from nnzero.training.mixup import mix_batch, mixed_loss


@dataclass
class TensorData:
    """An ImageSet's arrays as tensors on the training device, with normalisation constants."""

    images: torch.Tensor  # (N, C, H, W) uint8
    labels: torch.Tensor  # (N,) int64
    mean: torch.Tensor  # (1, C, 1, 1)
    std: torch.Tensor  # (1, C, 1, 1)

    @classmethod
    def from_imageset(cls, data: ImageSet, device: torch.device) -> TensorData:
        shape = (1, data.channels, 1, 1)
        # np.array copies: arrays from the cache are read-only memory maps, which torch must not alias
        return cls(
            torch.from_numpy(np.array(data.images)).to(device),
            torch.from_numpy(np.array(data.labels)).to(device),
            torch.tensor(data.mean, device=device).view(shape),
            torch.tensor(data.std, device=device).view(shape),
        )

    def __len__(self) -> int:
        return len(self.labels)

    def batch(
        self, index: torch.Tensor, augment: Callable | None = None, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.images[index].float().div_(255)  # (B, C, H, W) in [0, 1]
        if augment is not None:
            x = augment(x, generator)
        x = x.sub_(self.mean).div_(self.std)  # (B, C, H, W), about mean 0 and std 1 per channel (in place)
        if x.device.type == "cpu" and x.shape[-1] > 1:
            ## On CPUs, convolutions run ~1.4x faster on channels-last memory (measured for `cnn`).
            x = x.contiguous(memory_format=torch.channels_last)
        return x, self.labels[index]


def seed_device(seed: int, device: torch.device) -> None:
    """Seed the CPU's generator and the training device's, as torch.manual_seed does, but cheaply.

    torch.manual_seed also queues a seeding of every not-yet-started GPU backend, with a
    formatted stack trace each time: once per batch that was a quarter of an MLP's epoch
    on the CPU, and a list that grew all run long.
    """
    torch.default_generator.manual_seed(seed)
    if device.type == "cuda":
        torch.cuda.manual_seed(seed)  # the current GPU only: one process per GPU
    elif device.type == "mps":
        torch.mps.manual_seed(seed)


def epoch_order(n: int, epoch: int, seed: int, rank: int = 0, world: int = 1) -> torch.Tensor:
    """This rank's share of a shuffle that depends only on (seed, epoch): resumable and the same on every rank."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))  # (n,)
    per_rank = n // world
    ## Rank r takes every world-th image from r on (as DistributedSampler does), so at each
    ## step the ranks' batches together are exactly the batch one process would take.
    return order[rank : per_rank * world : world] if world > 1 else order  # (n // world,)


def new_tally() -> dict:
    """Running sums of an epoch; kept outside the loop so an interrupted epoch can be resumed exactly.

    loss_sum, correct and seen hold the steps up to the last step row; window_* the steps since
    (tensors on the training device while the epoch runs, numbers in last.pt: ``plain_tally``).
    """
    return {
        "batch": 0, "loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0,
        "window_loss": 0.0, "window_correct": 0, "window_seen": 0,
    }  # fmt: skip


def plain_tally(tally: dict) -> dict:
    """The tally as plain numbers (what last.pt keeps): the device's sums read back."""
    return {k: v.item() if isinstance(v, torch.Tensor) else v for k, v in tally.items()}


def _window(device: torch.device, loss: float = 0.0, correct: float = 0, seen: float = 0) -> dict:
    """The sums since the last step row, as tensors on ``device`` (float64; MPS has only float32)."""
    dtype = torch.float32 if device.type == "mps" else torch.float64
    return {
        "window_loss": torch.tensor(loss, dtype=dtype, device=device),
        "window_correct": torch.tensor(correct, dtype=torch.int64, device=device),
        "window_seen": int(seen),
    }


def _step_row(tally: dict, window: dict, step: int, lr: float, on_step: Callable | None) -> dict:
    """A step row is due: read the window back (the one wait for the device in k steps), hand it
    to ``on_step``, and return the tally's new sums with the window emptied."""
    loss = window["window_loss"]
    loss_sum, correct = torch.stack([loss, window["window_correct"].to(loss.dtype)]).tolist()
    if on_step is not None:
        on_step(step, loss_sum, correct, window["window_seen"], lr)
    return {
        "loss_sum": tally["loss_sum"] + loss_sum,
        "correct": tally["correct"] + int(correct),
        "seen": tally["seen"] + window["window_seen"],
        **_window(loss.device),
    }


def train_one_epoch(
    model: nn.Module,
    data: TensorData,
    optimizer: torch.optim.Optimizer,
    *,
    epoch: int,
    step: int,
    total_steps: int,
    cfg,
    augment: Callable | None = None,
    generator: torch.Generator | None = None,
    rank: int = 0,
    world: int = 1,
    max_batches: int | None = None,
    progress: bool = True,
    label: str = "",
    tally: dict | None = None,
    average=None,
    every: int = 1,
    on_step: Callable | None = None,
) -> dict:
    """One pass over this rank's shard; returns exact dataset-level averages and the new step count.

    ``average`` (an ``AveragedModel``, ``train.ema``) follows the weights after every step.
    ``on_step(step, loss_sum, correct, seen, lr)``: every ``every`` steps of the epoch and at its
    end, the sums over the steps since the last call (a step row: ``nnzero.callbacks.steps``).

    ``tally`` (from ``new_tally``) is updated after every batch, so when Ctrl-C stops the
    epoch, the caller can save it and a resumed run skips the batches already done.
    """
    model.train()
    tally = tally if tally is not None else new_tally()
    device = data.labels.device
    window = (float(tally.get(f"window_{k}", 0)) for k in ("loss", "correct", "seen"))  # last.pt: numbers
    tally.update(_window(device, *window))
    order = epoch_order(len(data), epoch, cfg.seed, rank, world).to(device)
    local_batch = max(1, cfg.batch_size // world)
    batches = -(-len(order) // local_batch)
    batches = batches if max_batches is None else min(batches, max_batches)
    start = time.perf_counter() - tally["seconds"]
    bar = Progress(len(order), label, progress)
    lr = lr_at(step, total_steps, cfg.lr, cfg.schedule, cfg.warmup)
    ## fp32 enters no autocast context at all: the default's steps stay exactly what they were
    autocast = (
        torch.autocast(device.type, dtype=torch.bfloat16)
        if cfg.precision == "bf16"
        else contextlib.nullcontext()
    )
    with between_batches() as interrupt:  # Ctrl-C waits for the batch's end (training/interrupt.py)
        for b, first in enumerate(range(0, batches * local_batch, local_batch)):
            if b < tally["batch"]:
                step += 1  # done before the run was interrupted
                continue
            batch_seed = ((cfg.seed * 1_000 + epoch) * 100_000 + b) * 64 + rank
            ## Random numbers (augmentation, dropout) are seeded per batch, so a resumed run
            ## draws exactly what an uninterrupted one would have drawn.
            seed_device(batch_seed, device)
            if generator is not None:
                generator.manual_seed(batch_seed)
            lr = lr_at(step, total_steps, cfg.lr, cfg.schedule, cfg.warmup)
            for group in optimizer.param_groups:
                group["lr"] = lr
            x, y = data.batch(order[first : first + local_batch], augment, generator)
            if cfg.mixup > 0:  # train.mixup: each picture blended with another (training/mixup.py)
                x, partners, lam = mix_batch(x, y, cfg.mixup, batch_seed)
            with autocast:  # train.precision=bf16: convolutions and matrix products in bfloat16
                logits = model(x)  # 1. forward: (B, classes)
                if cfg.mixup > 0:  # 2. loss: the same blend of the two answers
                    loss = mixed_loss(logits, y, partners, lam, cfg.label_smoothing)
                else:  # 2. loss
                    loss = F.cross_entropy(logits, y, label_smoothing=cfg.label_smoothing)
            loss.backward()  # 3. backward: d loss / d every weight
            optimizer.step()  # 4. step: w -= lr * (the optimizer's version of) the gradient
            optimizer.zero_grad(set_to_none=True)  # 5. zero_grad: gradients would otherwise add up
            if average is not None:
                average.update_parameters(model)  # the running average of the weights moves towards them
            step += 1
            ## The sums stay on the device: reading a number back (loss.item()) would make the CPU
            ## wait for the GPU after every step; this waits once per step row instead.
            window = {
                "window_loss": tally["window_loss"] + loss.detach() * len(y),
                "window_correct": tally["window_correct"] + (logits.argmax(1) == y).sum(),
                "window_seen": tally["window_seen"] + len(y),
            }
            row_due = is_row_step(b + 1, batches, every)
            if row_due:
                window = _step_row(tally, window, step, lr, on_step)
            ## one update: Ctrl-C finds this batch counted everywhere or nowhere (a step row written
            ## for it but not counted is written again after the resume, never twice)
            tally.update(batch=b + 1, seconds=time.perf_counter() - start, **window)
            if row_due:
                seen = tally["seen"]
                bar.update(seen, loss=tally["loss_sum"] / seen, acc=tally["correct"] / seen)
            elif b % 20 == 0:
                bar.update(tally["seen"] + tally["window_seen"])
            interrupt.check()
    seen = tally["seen"]
    stats = {
        "loss": tally["loss_sum"] / max(1, seen),
        "accuracy": tally["correct"] / max(1, seen),
        "images": seen,
    }
    bar.update(seen, final=True, loss=stats["loss"], acc=stats["accuracy"])
    seconds = max(1e-9, time.perf_counter() - start)
    return {**stats, "seconds": seconds, "images_per_s": seen / seconds, "step": step, "lr": lr}


@torch.no_grad()
def predict_logits(
    model: nn.Module, data: TensorData, batch_size: int = 1000, max_batches: int | None = None
) -> torch.Tensor:
    """Logits (N, classes) for the whole set, in order, in eval mode (dropout off, batch norm frozen)."""
    model.eval()
    out = []
    for b, first in enumerate(range(0, len(data), batch_size)):
        if max_batches is not None and b >= max_batches:
            break
        x, _ = data.batch(torch.arange(first, min(first + batch_size, len(data)), device=data.labels.device))
        out.append(model(x).float())
    return torch.cat(out)  # (N, classes)


def evaluate(
    model: nn.Module, data: TensorData, batch_size: int = 1000, max_batches: int | None = None
) -> dict:
    """Loss and accuracy over the whole set (exact sums, not an average of batch averages)."""
    logits = predict_logits(model, data, batch_size, max_batches)  # (N, classes)
    labels = data.labels[: len(logits)]
    loss = F.cross_entropy(logits, labels, reduction="sum").item() / max(1, len(labels))
    accuracy = int((logits.argmax(1) == labels).sum()) / len(labels) if len(labels) else 0.0  # exact
    return {"loss": loss, "accuracy": accuracy, "logits": logits}
