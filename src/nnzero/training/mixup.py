"""Mixup (Zhang et al. 2018, "mixup: Beyond Empirical Risk Minimization"): train on blends of two examples.

## A batch is blended with a shuffled copy of itself, x = lam * x_i + (1 - lam) * x_j, and the loss asks
## for the same blend of the two answers. Between the examples it has seen, the network is pushed to
## answer in straight lines rather than to jump: a smoother decision near voices it never heard.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def mix_batch(
    x: torch.Tensor, y: torch.Tensor, alpha: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """The batch blended with a shuffled copy of itself: (mixed x, the partners' labels, lam).

    lam ~ Beta(alpha, alpha), folded to >= 0.5 so each blend still mostly shows its own label. ``seed``
    fixes lam and the partners (the loop's per-batch seed: a resumed run mixes exactly the same).
    """
    lam = float(np.random.default_rng(seed).beta(alpha, alpha))
    lam = max(lam, 1.0 - lam)
    partner = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed)).to(y.device)  # (B,)
    return x.mul(lam).add_(x[partner], alpha=1.0 - lam), y[partner], lam


def mixed_loss(
    logits: torch.Tensor, y: torch.Tensor, partners: torch.Tensor, lam: float, label_smoothing: float
) -> torch.Tensor:
    """Cross-entropy against the blend of the two labels (the same blend as the pictures)."""
    own = F.cross_entropy(logits, y, label_smoothing=label_smoothing)
    return lam * own + (1.0 - lam) * F.cross_entropy(logits, partners, label_smoothing=label_smoothing)
