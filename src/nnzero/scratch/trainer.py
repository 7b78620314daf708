"""Training by hand, the course's five steps: forward, loss, backward, step, zero_grad.

Plain functions over NumPy arrays; the command adds the progress bar and the run folder.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from nnzero.callbacks.steps import is_row_step
from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.schedule import lr_at  # noqa: F401 - one schedule for both engines
from nnzero.scratch.losses import Loss
from nnzero.scratch.network import Sequential
from nnzero.scratch.optimizers import Optimizer


class TrainingDiverged(NnzeroError):
    """The loss became NaN or infinite; the network holds the last weights that gave a finite loss."""


def normalise(images: np.ndarray, mean: float, std: float, dtype=np.float32) -> np.ndarray:
    """uint8 (N, H, W) -> float (N, 1, H, W), scaled to [0, 1] then to mean 0 and std 1."""
    ## Inputs near 0 with unit spread keep the first layer's weighted sums in a range
    ## where the starting weights (He, Xavier) were designed to work.
    x = images.astype(dtype)[:, None]  # (N, 1, H, W)
    x *= 1 / (255 * std)
    x -= mean / std
    return x


def evaluate(
    net: Sequential, loss_fn: Loss, x: np.ndarray, y: np.ndarray, batch_size: int = 250
) -> tuple[float, float]:
    """Mean loss and accuracy over the whole set (exact averages, not a mean of batch means)."""
    ## 250 images a pass, not 1,000: a convolution's unfolded patches for 1,000 images (58 MB for
    ## LeNet's first layer) no longer fit in the CPU's cache; measured, 10,000 test images in
    ## 0.43 s instead of 0.91 s.
    total_loss, correct = 0.0, 0
    was_training = net.training
    net.eval()
    for i in range(0, len(x), batch_size):
        logits = net.forward(x[i : i + batch_size])  # (B, K)
        total_loss += loss_fn.forward(logits, y[i : i + batch_size]) * len(logits)
        correct += int((logits.argmax(axis=1) == y[i : i + batch_size]).sum())
    if was_training:
        net.train()
    return total_loss / len(x), correct / len(x)


def train_epoch(
    net: Sequential,
    loss_fn: Loss,
    opt: Optimizer,
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
    lr_for_step: Callable[[int], float] | None = None,
    on_batch: Callable[[int, float], None] | None = None,
    max_batches: int | None = None,
    every: int = 1,
    on_step: Callable[[int, float, int, int, float], None] | None = None,
) -> tuple[float, float]:
    """One pass over (x, y) in shuffled batches; the mean training loss and accuracy.

    ``on_step(done, loss_sum, correct, seen, lr)``: after every ``every`` batches and the last, the
    sums over the batches since the last call (a step row: ``nnzero.callbacks.steps``).

    If the loss stops being a finite number, the weights go back to those of the last
    step whose loss was finite, and ``TrainingDiverged`` says so.
    """
    net.train()
    order = rng.permutation(len(x))  # (N,) a new order every epoch
    good = net.state()  # the last weights whose loss was finite
    total_loss, correct, seen = 0.0, 0, 0
    window = [0.0, 0, 0]  # loss sum, correct, images since the last step row
    batches = -(-len(x) // batch_size) if max_batches is None else min(-(-len(x) // batch_size), max_batches)
    for b, start in enumerate(range(0, batches * batch_size, batch_size)):
        idx = order[start : start + batch_size]  # (B,)
        xb, yb = x[idx], y[idx]  # (B, ...), (B,)
        if lr_for_step is not None:
            opt.lr = lr_for_step(opt.steps)
        logits = net.forward(xb)  # 1. forward
        loss = loss_fn.forward(logits, yb)  # 2. loss
        if not math.isfinite(loss):
            net.load_state(good)
            raise TrainingDiverged(
                tr(
                    "the loss became {loss} at step {step} (learning rate {lr:g}); training stopped and the "
                    "weights are those of the last step with a finite loss. Try a smaller --lr.",
                    "第 {step} 步的损失变成了 {loss} (学习率 {lr:g}); 训练已停止, "
                    "权重保留为最后一个损失有限的步骤的值。请尝试更小的 --lr。",
                    loss=loss,
                    step=opt.steps + 1,
                    lr=opt.lr,
                )
            )
        for name, param, _ in net.named_parameters():
            np.copyto(good[name], param)
        opt.zero_grad()  # 5. (done first here) clear the gradients of the last batch
        net.backward(loss_fn.backward())  # 3. backward
        opt.step()  # 4. step
        hits = int((logits.argmax(axis=1) == yb).sum())
        total_loss += loss * len(idx)
        correct += hits
        seen += len(idx)
        window = [window[0] + loss * len(idx), window[1] + hits, window[2] + len(idx)]
        if on_step is not None and is_row_step(b + 1, batches, every):
            on_step(b + 1, *window, opt.lr)
            window = [0.0, 0, 0]
        if on_batch is not None:
            on_batch(b, loss)
    return total_loss / seen, correct / seen
