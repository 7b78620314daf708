"""How a committee's members voted on each image: who was right, where they disagreed, what the average did.

## Three kinds of image: every member right (nothing to gain), every member wrong (nothing a vote
## can fix: the errors that remain), and the split ones, where averaging the probabilities decides:
## it *rescues* an image when the right members were surer than the wrong ones, and *loses* one
## otherwise. A committee helps exactly as much as rescues outnumber losses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from nnzero.models.committee import log_mean_prob


def _score(log_probs: torch.Tensor, labels: torch.Tensor) -> dict:
    """Accuracy and log-loss of log-probabilities (N, C)."""
    return {
        "accuracy": int((log_probs.argmax(1) == labels).sum()) / max(1, len(labels)),  # exact
        "log_loss": float(F.nll_loss(log_probs, labels)),
    }


def vote_breakdown(member_log_probs: torch.Tensor, labels, classes: list[str]) -> dict:
    """Plain-data summary of the members' log-probabilities (M, N, C) on labelled images (N,).

    ``disagreements`` lists every image the members did not agree on (index, true class, each
    member's answer, the committee's); ``all_wrong`` every image no member got right.
    """
    labels = torch.as_tensor(labels, dtype=torch.long)  # (N,)
    committee = log_mean_prob(member_log_probs)  # (N, C)
    votes = member_log_probs.argmax(2)  # (M, N)
    right = votes == labels  # (M, N)
    n_right = right.sum(0)  # (N,)
    answer = committee.argmax(1)  # (N,)
    split = torch.nonzero((n_right > 0) & (n_right < len(votes))).flatten()
    all_wrong = torch.nonzero(n_right == 0).flatten()

    def row(i: int) -> dict:
        return {
            "index": i,
            "true": classes[int(labels[i])],
            "votes": [classes[int(v)] for v in votes[:, i]],
            "committee": classes[int(answer[i])],
        }

    return {
        "members": [_score(lp, labels) for lp in member_log_probs],
        "committee": _score(committee, labels),
        "images": len(labels),
        "all_right": int((n_right == len(votes)).sum()),
        "split": len(split),
        "rescued": int((answer[split] == labels[split]).sum()),
        "lost": int((answer[split] != labels[split]).sum()),
        "disagreements": [row(int(i)) for i in split],
        "all_wrong": [row(int(i)) for i in all_wrong],
    }
