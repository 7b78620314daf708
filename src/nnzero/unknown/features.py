"""What a network's last layer sees: the features of a picture, taken in the same forward pass as the logits.

    feats, logits = features_and_logits(model, x)      # (N, D), (N, classes)

Every nnzero classifier ends with one linear layer (a transfer model's head, a CNN's or an
MLP's last ``nn.Linear``); its input is the picture as the network describes it. A forward
pre-hook on that layer reads it while the network runs, so nothing runs twice.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn


def classifier_layer(model: nn.Module) -> nn.Linear:
    """The last linear layer: the head of a pretrained backbone, else the last ``nn.Linear`` registered."""
    head = getattr(model, getattr(model, "head_name", ""), None)  # a pretrained backbone names its head
    if isinstance(head, nn.Linear):
        return head
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no linear layer to read features from")
    return linears[-1]


@contextmanager
def collecting_features(model: nn.Module):
    """Within the block, every forward pass appends the last layer's input (n, D) to the yielded list."""
    seen: list[torch.Tensor] = []
    ## a model that runs several views of each picture in one batch (test-time shifts, the picture
    ## itself first) says how many: only the picture's own rows are kept
    views = getattr(model, "views", 1)

    def keep(_module, inputs):
        x = inputs[0].detach().unflatten(0, (views, -1))[0]  # (n, ...): no fixed batch size in an export
        seen.append(x.flatten(1).float())

    hook = classifier_layer(model).register_forward_pre_hook(keep)
    try:
        yield seen
    finally:
        hook.remove()


@torch.no_grad()
def features_and_logits(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(features (N, D) the last linear layer receives, logits (N, classes)) of prepared input ``x``."""
    with collecting_features(model) as seen:
        logits = model(x)
    return seen[-1], logits.float()
