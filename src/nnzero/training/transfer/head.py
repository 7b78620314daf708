"""A linear classifier on cached features: logistic regression, every setting chosen on validation.

    head = fit_head(train_views, y_train, val_views, y_val, num_classes)
    head.weight, head.bias        # (C, D), (C,): what goes into the network's last layer

## On frozen ImageNet features a linear classifier is all that is left to learn, and it is
## convex: L-BFGS finds its best weights in a second, no learning rate, no epochs. What
## is left to choose is how strongly to pull the weights to zero (L2), then a temperature
## T that makes the probabilities honest (logits / T), then, for Kaggle's log-loss, how far
## to keep probabilities from 0 and 1. All three are chosen on the validation photos,
## never on the test photos, and folded into the weights (W / T), so the checkpoint's
## plain softmax is already calibrated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

L2_GRID = (1.0, 3e-1, 1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4)  # strongest first: each fit warm-starts the next
CLIP_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 2e-2)


@dataclass
class Head:
    weight: np.ndarray  # (C, D) on raw features, standardisation and temperature folded in
    bias: np.ndarray  # (C,)
    l2: float
    temperature: float
    clip: float | None  # two classes: the probability clip chosen on validation
    val: dict = field(default_factory=dict)  # accuracy and log-loss on validation (views averaged)
    grid: list = field(default_factory=list)  # (l2, val log-loss, val accuracy) for each try
    seconds: float = 0.0
    ## (weight, bias) before the refit on train + validation: fine-tuning starts from these, so
    ## that validation still judges photos that nothing has learned from
    train_only: tuple | None = None

    def logits(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weight.T + self.bias  # (N, C)

    def proba(self, views: list[np.ndarray]) -> np.ndarray:
        """Softmax probabilities averaged over the views: (N, C)."""
        return mean_proba([self.logits(v) for v in views])


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def mean_proba(logit_views: list[np.ndarray]) -> np.ndarray:
    """Softmax probabilities (N, C) averaged over views (the photo and its mirror)."""
    return np.mean([softmax(z) for z in logit_views], axis=0)


def score_logits(logit_views: list[np.ndarray], y: np.ndarray) -> dict:
    """Accuracy and log-loss of the photo alone (what evaluate sees) and of photo + mirror (--tta)."""
    if not len(y):
        return {}
    p1, p2 = softmax(logit_views[0]), mean_proba(logit_views)
    return {
        "accuracy": float((p1.argmax(1) == y).mean()),
        "loss": nll(p1, y),
        "accuracy_tta": float((p2.argmax(1) == y).mean()),
        "loss_tta": nll(p2, y),
    }


def nll(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-15, 1.0))))


def _lbfgs(x: torch.Tensor, y: torch.Tensor, c: int, l2: float, start=None, steps: int = 100):
    """Multinomial logistic regression on standardised x (N, D): mean cross-entropy + l2/2 |W|^2."""
    w = torch.zeros(c, x.shape[1], dtype=torch.float32) if start is None else start[0].clone()
    b = torch.zeros(c, dtype=torch.float32) if start is None else start[1].clone()
    w.requires_grad_(True)
    b.requires_grad_(True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=steps, tolerance_grad=1e-6, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(x @ w.T + b, y) + 0.5 * l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach()


def best_temperature(logit_views: list[np.ndarray], y: np.ndarray) -> float:
    """T minimising the validation log-loss of softmax(z / T) averaged over views (a 1-D search)."""
    grid = np.exp(np.linspace(np.log(0.05), np.log(20), 121))
    losses = [nll(mean_proba([z / t for z in logit_views]), y) for t in grid]
    return float(grid[int(np.argmin(losses))])


def fit_head(
    train_views: list[np.ndarray],
    y_train: np.ndarray,
    val_views: list[np.ndarray],
    y_val: np.ndarray,
    num_classes: int,
    l2_grid=L2_GRID,
    refit: bool = True,
) -> Head:
    """Fit on every train view as its own example; choose L2, then T (and the clip) on validation;
    then (``refit``) fit again with those settings on train + validation."""
    start, threads = time.perf_counter(), torch.get_num_threads()
    ## Small matrices: one thread is faster than two fighting over a busy CPU (5.7 ms a step against 39, measured)
    torch.set_num_threads(1)
    try:
        head = _choose(train_views, y_train, val_views, y_val, num_classes, l2_grid, refit)
    finally:
        torch.set_num_threads(threads)
    head.seconds = round(time.perf_counter() - start, 3)
    return head


def _choose(train_views, y_train, val_views, y_val, num_classes, l2_grid, refit) -> Head:
    x = np.concatenate(train_views)  # (V*N, D)
    y = np.concatenate([y_train] * len(train_views))
    mu, sigma = x.mean(0), x.std(0) + 1e-6  # (D,)
    xt, yt = torch.from_numpy((x - mu) / sigma).float(), torch.from_numpy(y).long()
    vz = [torch.from_numpy((v - mu) / sigma).float() for v in val_views]
    best, grid, state = None, [], None
    for l2 in l2_grid if len(y_val) else l2_grid[2:3]:
        state = _lbfgs(xt, yt, num_classes, l2, state)
        zs = [(v @ state[0].T + state[1]).numpy() for v in vz]
        t = best_temperature(zs, y_val) if len(y_val) else 1.0
        p = mean_proba([z / t for z in zs]) if len(y_val) else None
        loss = nll(p, y_val) if p is not None else float("nan")
        acc = float((p.argmax(1) == y_val).mean()) if p is not None else float("nan")
        grid.append((l2, round(loss, 5), round(acc, 5)))
        if best is None or loss < best[1]:
            best = (l2, loss, t, state)
    l2, _, t, (w, b) = best
    head = _folded(w, b, mu, sigma, t, l2, grid)
    if len(y_val):
        p = head.proba(val_views)
        head.val = {"accuracy": float((p.argmax(1) == y_val).mean()), "log_loss": nll(p, y_val)}
        if num_classes == 2:
            head.clip = choose_clip(p[:, 1], y_val)
        if refit:
            ## The settings are chosen; now learn from the validation photos too (as LogisticRegressionCV
            ## refits). head.val keeps the chosen model's scores from before it saw them.
            xr = torch.cat([xt, *vz])
            yr = torch.cat([yt] + [torch.from_numpy(y_val).long()] * len(vz))
            w, b = _lbfgs(xr, yr, num_classes, l2, (w, b))
            refitted = _folded(w, b, mu, sigma, t, l2, grid)
            head.train_only = (head.weight, head.bias)
            head.weight, head.bias = refitted.weight, refitted.bias
    return head


def _folded(w, b, mu, sigma, t, l2, grid) -> Head:
    """Standardisation and temperature folded in: ((x - mu) / sigma @ W.T + b) / T = x @ W'.T + b'."""
    w_raw = w.numpy() / sigma  # (C, D)
    weight, bias = w_raw / t, (b.numpy() - w_raw @ mu) / t
    return Head(weight.astype(np.float32), bias.astype(np.float32), l2, t, None, {}, grid)


def clipped_nll(p_positive: np.ndarray, y: np.ndarray, clip: float) -> float:
    """Two classes: the log-loss of P(class 1) kept in [clip, 1 - clip] (what Kaggle scores)."""
    q = np.clip(np.asarray(p_positive, np.float64), clip, 1 - clip)
    return nll(np.stack([1 - q, q], 1), np.asarray(y, np.int64))


def choose_clip(p_positive: np.ndarray, y: np.ndarray) -> float:
    """The clip c in CLIP_GRID whose [c, 1 - c] gives the lowest validation log-loss (ties: the larger)."""
    scores = [clipped_nll(p_positive, y, c) for c in CLIP_GRID]
    low = min(scores)
    return float(max(c for c, s in zip(CLIP_GRID, scores) if s <= low + 1e-9))
