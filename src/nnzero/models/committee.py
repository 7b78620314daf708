"""A committee of networks, and one network over shifted copies of its image (test-time shifts).

Both are ordinary ``nn.Module``s whose ``forward`` returns the **log of an averaged probability**,
so every door that takes a model (evaluate, predict, the report, serve, export) uses them unchanged:
``softmax`` of a log-probability gives the probability back, and cross-entropy on it is the
log-loss of the average.

## Why a committee: networks trained from different random starts make *different* mistakes.
## Averaging their probabilities keeps what they agree on and lets the confident majority
## outvote one member's slip. It never fixes the images every member gets wrong.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from nnzero.models._registry import create_model, model_entry, register_model
from nnzero.models.digits import DEEPCNN_DEFAULTS, FASTCNN_DEFAULTS, FASTCNN_LONG

## test-time shifts (`--tta shifts`): the image itself and its copies moved 1 pixel up, down, left and
## right; half the weight on the image itself, the other half shared by the four copies. On the
## validation images of trained committees no shifts (of 12 candidates) beat none, so the registered
## committees do not use them; the test set chose nothing (docs/mnist-speed.md, committees).
SHIFTS = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))
SHIFT_WEIGHTS = (0.5, 0.125, 0.125, 0.125, 0.125)
TTA_CHOICES = ("none", "shifts")


def tta_spec(name: str) -> dict | None:
    """The plain-data description of a test-time augmentation kept in a checkpoint (None: none)."""
    if name in (None, "none"):
        return None
    if name != "shifts":
        raise ValueError(f"unknown test-time augmentation {name!r}; choose from {', '.join(TTA_CHOICES)}")
    return {"name": "shifts", "shifts": [list(s) for s in SHIFTS], "weights": list(SHIFT_WEIGHTS)}


def log_mean_prob(log_probs: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """log(Σ_k w_k p_k) over the first axis of log-probabilities (K, N, C), computed without leaving logs."""
    k = log_probs.shape[0]
    log_w = torch.full((k,), -math.log(k)) if weights is None else torch.log(weights)  # (K,)
    return torch.logsumexp(log_probs + log_w.to(log_probs).view(k, 1, 1), 0)  # (N, C)


class Committee(nn.Module):
    """Members' probabilities, averaged with equal votes: ``forward`` returns log(mean p)."""

    def __init__(self, members: list[nn.Module]):
        super().__init__()
        if not members:
            raise ValueError("a committee needs at least one member")
        self.members = nn.ModuleList(members)

    def member_log_probs(self, x: torch.Tensor) -> torch.Tensor:
        """Each member's log-probabilities (M, N, C)."""
        return torch.stack([F.log_softmax(m(x).float(), 1) for m in self.members])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return log_mean_prob(self.member_log_probs(x))  # (N, C)


def shift(x: torch.Tensor, dy: int, dx: int, pad: int) -> torch.Tensor:
    """``x`` (N, C, H, W) moved ``dy`` rows down and ``dx`` columns right; the edge pixels fill the gap.

    ## Repeating the edge, not zeros: the images are normalised, where 0 is mid-grey, and an
    ## MNIST digit's edge is its paper (background) colour.
    """
    h, w = x.shape[-2:]
    padded = F.pad(x, (pad, pad, pad, pad), mode="replicate")  # (N, C, H+2p, W+2p)
    return padded[..., pad - dy : pad - dy + h, pad - dx : pad - dx + w]


class ShiftAverage(nn.Module):
    """A network's probabilities averaged over its image and shifted copies (weights sum to 1)."""

    def __init__(self, net: nn.Module, shifts, weights):
        super().__init__()
        if len(shifts) != len(weights) or abs(sum(weights) - 1) > 1e-6:
            raise ValueError("one weight per shift, summing to 1")
        self.net = net
        self.shifts = [(int(dy), int(dx)) for dy, dx in shifts]
        if self.shifts[0] != (0, 0):
            raise ValueError("the first view is the image itself, shift (0, 0)")
        self.pad = max(1, max(max(abs(dy), abs(dx)) for dy, dx in self.shifts))
        self.register_buffer("weights", torch.tensor(weights, dtype=torch.float32), persistent=False)

    @property
    def views(self) -> int:
        """Views of each image in one forward pass (the unknown answer's feature hook reads the first)."""
        return len(self.shifts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        ## every view in one batch: the unshifted image first (inspect's hooks read row 0)
        views = torch.cat([shift(x, dy, dx, self.pad) for dy, dx in self.shifts])  # (S*N, C, H, W)
        log_probs = F.log_softmax(self.net(views).float(), 1)  # (S*N, C)
        return log_mean_prob(log_probs.view(len(self.shifts), n, -1), self.weights)  # (N, C)


def with_tta(model: nn.Module, spec: dict | None) -> nn.Module:
    """``model`` wrapped in its test-time augmentation (``spec`` from ``tta_spec``), or as it is."""
    if not spec:
        return model
    return ShiftAverage(model, spec["shifts"], spec["weights"]).to(next(model.parameters()).device).eval()


def networks(model: nn.Module) -> list[nn.Module]:
    """The trained networks inside a model: a committee's members, or the model itself."""
    model = model.net if isinstance(model, ShiftAverage) else model
    return list(model.members) if isinstance(model, Committee) else [model]


def member_names(name: str, count: int | None = None) -> list[str]:
    """The models of the ``count`` members of model ``name``: a registered committee's own members in
    turn, or ``count`` copies of an ordinary model (``--model fastcnn --members 5``)."""
    entry = model_entry(name)
    count = count or entry.train_defaults.get("members", 1)
    cycle = entry.committee_of or (name,)
    return [cycle[i % len(cycle)] for i in range(count)]


def build_committee(names: list[str], num_classes: int, in_channels: int, image_size: int) -> Committee:
    return Committee([create_model(n, num_classes, in_channels, image_size) for n in names])


## The two documented committees (docs/mnist-speed.md has how they were chosen, on validation only).
## Every member of one committee trains with the same recipe, each from its own seed.
COMMITTEE_DEFAULTS = {**FASTCNN_DEFAULTS, **FASTCNN_LONG, "epochs": 10, "members": 10, "tta": "none"}
## the hour's committee: deepcnn members, each on deepcnn's own recipe cut to 10 epochs, as many as an
## hour holds on 2 cores. Stronger members, not more of them: 40 fastcnn members scored 99.60% (no
## better than 5), these 8 99.69% on the same seed, and validation chose them (99.47% against 99.37%)
MAX_DEFAULTS = {**DEEPCNN_DEFAULTS, "epochs": 10, "members": 8, "tta": "none"}


def _register_committee(name: str, member: str, recipe: dict, time: str, time_zh: str):
    """Register ``name``: ``recipe["members"]`` ``member`` networks, each trained with ``recipe``."""
    count, epochs = recipe["members"], recipe["epochs"]

    @register_model(
        name=name,
        description=f"{count} {member} networks ({epochs} epochs each, own seeds), probabilities averaged: {time}",
        description_zh=f"{count} 个 {member} 网络 (各 {epochs} 轮, 各自的随机种子), 概率取平均: {time_zh}",
        train_defaults=recipe,
        committee_of=(member,),
    )
    def factory(num_classes=10, in_channels=1, image_size=28, members=None):
        return build_committee(members or member_names(name), num_classes, in_channels, image_size)

    return factory


## times on a 2-core CPU, measured: the 10 in 454-505 s (three whole commands on a quiet machine),
## the 8 in 3,478 s (one seed, in two pieces)
committee = _register_committee(
    "committee", "fastcnn", COMMITTEE_DEFAULTS, "~8 min on 2 cores", "2 核 CPU 约 8 分钟"
)
committee_max = _register_committee(
    "committee-max", "deepcnn", MAX_DEFAULTS, "~58 min on 2 cores", "2 核 CPU 约 58 分钟"
)
