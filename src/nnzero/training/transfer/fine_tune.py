"""``--fine-tune``: after the head is fitted on cached features, train the backbone's last blocks too.

    tuned = fine_tune(model, head, acts, y, train_cfg)      # acts: prefix_activations(...)
    tuned.chosen, tuned.logits["test"], tuned.rows

1. The frozen part of the network (stem and every block before the first thawed one) is run
   once per photo and view (photo, mirror) and its output cached like the features
   (``prefix_activations``), and the frozen features are computed from it (``features_from``):
   each epoch then runs only the thawed blocks, ~20x faster than a training step through the
   whole network (efficientnet_lite2, 260 px, the last block, 2-core CPU: 296 against 12-17
   images/s, measured).
2. The thawed blocks, the 1x1 head conv and the classifier train for ``train_cfg.fine_tune``
   epochs from the head fitted on the training photos alone (AdamW, cosine from
   ``fine_tune_lr``; each epoch sees each photo once, as itself or as its mirror image, at
   random, then a random one-cell crop: the augmentation cached activations allow). Batch norm
   keeps ImageNet's statistics.
3. After each epoch the validation photos are scored, with a temperature chosen on them; the
   epoch with the lowest validation log-loss is kept, its temperature folded into the classifier.
4. ``chosen`` only if that beats the head alone on validation (epoch 0); otherwise the model is
   given back exactly as it came (the caller keeps the head-only weights).
The test photos are scored by the weights chosen, never used to choose.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nnzero.callbacks import as_rows, epoch_row, is_row_step, log_every
from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.schedule import lr_at
from nnzero.training.device import autocast
from nnzero.training.transfer.features import by_split, cached_features
from nnzero.training.transfer.head import best_temperature, nll, softmax

SCORE_BATCH = 200  # activations per forward pass when scoring (no gradients kept)


@dataclass
class FineTuned:
    chosen: bool  # True: the model now holds the fine-tuned weights
    rows: list[dict]  # one metrics row per fine-tuning epoch (epoch numbers from 2: epoch 1 is the head)
    logits: dict = field(default_factory=dict)  # split -> [photo logits, mirror logits] of the chosen weights
    info: dict = field(default_factory=dict)  # what the checkpoint records (metrics["fine_tune"])


class _Prefix(nn.Module):
    """The frozen part as an ``embed`` that ``cached_features`` can run and cache: flattened activations."""

    def __init__(self, model: nn.Module, start: int):
        super().__init__()
        self.model, self.start = model, start

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.prefix(x, self.start).flatten(1)  # (N, C*h*w)


def check_fine_tunable(model: nn.Module, name: str) -> None:
    if not hasattr(model, "thaw_last"):
        raise NnzeroError(
            tr(
                "--fine-tune works with the efficientnet_lite backbones, not {m}",
                "--fine-tune 只支持 efficientnet_lite 骨干网络, 不支持 {m}",
                m=name,
            )
        )


@dataclass
class Activations:
    """What block ``start`` receives, for each photo and view: rows (N, C*h*w) of shape ``shape``."""

    start: int
    shape: tuple[int, int, int]  # (C, h, w)
    flat: dict[str, np.ndarray]  # view -> rows, in the order of the splits one after another
    split: dict[str, list[np.ndarray]]  # split -> [photo rows, mirror rows]
    info: dict
    precision: str = "fp32"  # what the thawed blocks run in too (bf16: bfloat16 autocast)


def prefix_activations(model, start, params, load, split, cache_dir, say, progress) -> Activations:
    """What block ``start`` receives for each photo of ``split`` and its mirror, cached on disk."""
    from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD

    used = np.concatenate(list(split.values()))
    paths = load.paths()
    what = ("the activations of the frozen blocks", "冻结块的激活")
    acts = cached_features(
        _Prefix(model.eval(), start), {**params, "prefix_of_block": start}, load.images,
        [paths[i] for i in used], IMAGENET_MEAN, IMAGENET_STD, load.listing.root,
        cache_dir=cache_dir, say=say, progress=progress, index=used, what=what,
    )  # fmt: skip
    info = {"computed": acts.computed, "seconds": round(acts.seconds, 2), "images_per_s": acts.images_per_s}
    size = load.images.shape[-1]
    shape, precision = _shape(model, start, size), params.get("precision", "fp32")
    return Activations(start, shape, acts.views, by_split(acts.views, split), info, precision)


def features_from(model, acts: Activations, positions: np.ndarray) -> dict[str, np.ndarray]:
    """The frozen backbone's features (M, D) of ``acts.flat`` rows at ``positions``: the pretrained
    blocks after ``start`` run on the cached activations (the blocks before it need not run again)."""
    with torch.no_grad(), autocast(acts.precision):
        model.eval()
        return {
            v: np.concatenate(
                [
                    model.from_block(_tensor(rows[positions[i : i + SCORE_BATCH]], acts.shape), acts.start)
                    .float()
                    .numpy()
                    for i in range(0, len(positions), SCORE_BATCH)
                ]
            )
            for v, rows in acts.flat.items()
        }


def _shape(model, start: int, size: int) -> tuple[int, int, int]:
    with torch.no_grad():
        return tuple(model.eval().prefix(torch.zeros(1, 3, size, size), start).shape[1:])


@torch.no_grad()
def _logits(model, acts: Activations, rows: np.ndarray) -> np.ndarray:
    """The network's logits (N, classes) from cached activations, in eval mode."""
    model.eval()
    with autocast(acts.precision):
        out = [
            model.head()(model.from_block(_tensor(rows[i : i + SCORE_BATCH], acts.shape), acts.start)).float()
            for i in range(0, len(rows), SCORE_BATCH)
        ]
    return torch.cat(out).numpy() if out else np.zeros((0, model.head().out_features), np.float32)


def _tensor(rows: np.ndarray, shape) -> torch.Tensor:
    x = torch.from_numpy(np.array(rows, np.float32)).view(len(rows), *shape)  # (B, C, h, w)
    return x.contiguous(memory_format=torch.channels_last)


def _val_scores(model, acts: Activations, y_val: np.ndarray) -> tuple[float, float, float] | None:
    """(log-loss, accuracy, temperature) of the validation photos alone (what evaluate sees), with the
    temperature chosen on them (photo and mirror), as the head's was; None without validation photos."""
    if not len(y_val):
        return None
    z = [_logits(model, acts, v) for v in acts.split["val"]]  # [(N, C) photo, (N, C) mirror]
    t = best_temperature(z, y_val)
    p = softmax(z[0] / t)
    return nll(p, y_val), float((p.argmax(1) == y_val).mean()), t


def _batch(acts: Activations, idx: np.ndarray, mirror: np.ndarray, g: torch.Generator) -> torch.Tensor:
    """Training activations (B, C, h, w): each photo as itself or its mirror, then one random
    (h-1) x (w-1) window for the batch.

    ## The window is a random crop at the scale of the activations (one cell is 32 pixels):
    ## crops and flips are the augmentations that survive caching; colour jitter does not.
    """
    photo, flipped = acts.split["train"]
    x = _tensor(np.where(mirror[:, None], flipped[idx], photo[idx]), acts.shape)  # (B, C, h, w)
    h, w = x.shape[-2:]
    if min(h, w) < 3:
        return x
    dy, dx = torch.randint(0, 2, (2,), generator=g).tolist()
    return x[:, :, dy : dy + h - 1, dx : dx + w - 1]


def _train_epoch(
    model, acts: Activations, y_train, opt, cfg, epoch: int, every: int = 1, on_step=None
) -> tuple[float, float, float]:
    """One pass over the training photos: (loss, accuracy, last learning rate). ``on_step(step,
    loss_sum, correct, seen, lr)`` every ``every`` steps and at the end: the sums since the last call."""
    model.train()
    g = torch.Generator().manual_seed(cfg.seed * 1_000 + epoch)
    n, batch = len(y_train), cfg.batch_size
    order = torch.randperm(n, generator=g).numpy()  # (n,)
    mirror = torch.rand(n, generator=g).numpy() < 0.5  # (n,)
    steps = -(-n // batch)
    totals, window, seen, lr = (
        torch.zeros(2, dtype=torch.float64),
        torch.zeros(2, dtype=torch.float64),
        0,
        cfg.fine_tune_lr,
    )
    for b, first in enumerate(range(0, n, batch)):
        idx = order[first : first + batch]
        x, target = _batch(acts, idx, mirror[idx], g), torch.from_numpy(y_train[idx])
        lr = lr_at(epoch * steps + b, cfg.fine_tune * steps, cfg.fine_tune_lr, "cosine")
        for group in opt.param_groups:
            group["lr"] = lr
        torch.default_generator.manual_seed(cfg.seed * 100_000 + epoch * 1_000 + b)  # dropout, drop-path
        with autocast(acts.precision):  # bf16: the thawed blocks' products in bfloat16, weights float32
            logits = model.head()(model._dropout(model.from_block(x, acts.start)))  # 1. forward (B, classes)
            loss = F.cross_entropy(logits, target)  # 2. loss
        loss.backward()  # 3. backward
        opt.step()  # 4. step
        opt.zero_grad(set_to_none=True)  # 5. zero_grad
        ## loss sum and hits, summed as tensors and read back once per step row (as the trainer's loop)
        window += torch.stack([loss.detach() * len(idx), (logits.argmax(1) == target).sum()])
        seen += len(idx)
        if is_row_step(b + 1, steps, every):
            if on_step is not None:
                on_step(epoch * steps + b + 1, *window.tolist(), seen, lr)
            totals, window, seen = totals + window, torch.zeros_like(window), 0
    return totals[0].item() / n, totals[1].item() / n, lr


def put_head(model, weight: np.ndarray, bias: np.ndarray) -> None:
    with torch.no_grad():
        model.head().weight.copy_(torch.from_numpy(np.asarray(weight)))
        model.head().bias.copy_(torch.from_numpy(np.asarray(bias)))


def fine_tune(
    model, head, acts: Activations, y: dict, cfg, *, say=print, on_epoch=None, on_step=None
) -> FineTuned:
    """Steps 2-4 of the module docstring; ``on_epoch(row)`` after each epoch and ``on_step(row)``
    every k steps (the run's callbacks: metrics.csv and steps.csv, where epoch 1 is the head's fit)."""
    model.thaw_last(len(model._blocks) - acts.start)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    put_head(model, *(head.train_only or (head.weight, head.bias)))
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=cfg.fine_tune_lr, weight_decay=cfg.weight_decay)
    say(_start_line(cfg, len(model._blocks) - acts.start, sum(p.numel() for p in trainable)))
    head_val = _val_scores(model, acts, y["val"])  # (its temperature is ~1: folded in already)
    # Train from the head's logits before its temperature: one is chosen again on validation after
    # each epoch, and a sharp T < 1 would leave cross-entropy little to learn from on training photos.
    _scale_head(model, head.temperature)
    best, rows, clock = (head_val, 0, None), [], time.perf_counter()
    steps = -(-len(y["train"]) // cfg.batch_size)
    every = log_every(cfg.fine_tune * steps, cfg.log_every)
    logged = on_step and as_rows(on_step, steps, first_epoch=1)  # epoch 1 is the head's fit
    for epoch in range(cfg.fine_tune):
        t = time.perf_counter()
        loss, acc, lr = _train_epoch(model, acts, y["train"], opt, cfg, epoch, every, logged)
        seconds = time.perf_counter() - t
        val = _val_scores(model, acts, y["val"])
        row = epoch_row(
            epoch + 2, (loss, acc), val and val[:2], lr, seconds, len(y["train"]), (epoch + 1) * steps
        )
        rows.append(row)
        if on_epoch:
            on_epoch(rows[-1])
        if val is None or val[0] < best[0][0]:
            best = (val, epoch + 1, {k: v.clone() for k, v in model.state_dict().items()})
    seconds = time.perf_counter() - clock
    chosen = best[1] > 0
    model.load_state_dict(best[2] if chosen else before)
    model.freeze_backbone()  # requires_grad off again: the weights are what the checkpoint keeps
    if chosen and best[0]:
        _scale_head(model, 1 / best[0][2])  # the temperature folded in: the plain softmax is calibrated
    info = _info(cfg, len(model._blocks), acts, best, head_val, seconds, len(y["train"]))
    logits = (
        {k: [_logits(model, acts, v) for v in views] for k, views in acts.split.items()} if chosen else {}
    )
    say(_end_line(info))
    return FineTuned(chosen, rows, logits, info)


def _info(cfg, n_blocks: int, acts: Activations, best, head_val, seconds: float, n_train: int) -> dict:
    """What the checkpoint records of the fine-tuning (metrics["fine_tune"])."""
    val, epoch, _ = best
    return {
        "epochs": cfg.fine_tune, "blocks": n_blocks - acts.start, "first_block": acts.start,
        "lr": cfg.fine_tune_lr, "best_epoch": epoch, "kept": "fine-tuned" if epoch else "head",
        "val_loss_head": head_val and head_val[0], "val_loss": val and val[0],
        "temperature": round(val[2], 4) if epoch and val else 1.0, "seconds": round(seconds, 2),
        "images_per_s": round(cfg.fine_tune * n_train / max(seconds, 1e-9), 1), "activations": acts.info,
    }  # fmt: skip


def _scale_head(model, factor: float) -> None:
    with torch.no_grad():
        model.head().weight.mul_(factor)
        model.head().bias.mul_(factor)


def _start_line(cfg, blocks: int, params: int) -> str:
    return tr(
        "fine-tuning the last {b} blocks, the head conv and the classifier ({p:,} weights) for {e} epochs "
        "(AdamW, lr {lr:g}, cosine), on cached activations of the frozen blocks before them",
        "微调最后 {b} 个块、1x1 头部卷积和分类层 ({p:,} 个权重), 共 {e} 轮 (AdamW, 学习率 {lr:g}, 余弦), "
        "前面冻结的块的激活已缓存",
        b=blocks,
        p=params,
        e=cfg.fine_tune,
        lr=cfg.fine_tune_lr,
    )


def _end_line(info: dict) -> str:
    if info["val_loss_head"] is None:
        return tr(
            "fine-tuned (no validation photos: the last epoch kept)", "已微调 (没有验证照片: 保留最后一轮)"
        )
    if info["kept"] == "head":
        return tr(
            "fine-tuning did not lower the validation log-loss ({h:.4f} with the head alone): "
            "the head-only weights are kept",
            "微调没有降低验证集对数损失 (只训练分类层时为 {h:.4f}): 保留只训练分类层的权重",
            h=info["val_loss_head"],
        )
    return tr(
        "fine-tuned: validation log-loss {v:.4f} after epoch {e} (head alone: {h:.4f}); temperature {t}",
        "微调后: 第 {e} 轮验证集对数损失 {v:.4f} (只训练分类层: {h:.4f}); 温度 {t}",
        v=info["val_loss"],
        e=info["best_epoch"],
        h=info["val_loss_head"],
        t=info["temperature"],
    )
