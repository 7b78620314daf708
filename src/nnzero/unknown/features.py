"""What a network's last layer sees: the features of a picture, taken in the same forward pass as the logits.

    feats, logits = features_and_logits(model, x)      # (N, D), (N, classes)

Every nnzero classifier ends with one linear layer (a transfer model's head, a CNN's or an
MLP's last ``nn.Linear``); its input is the picture as the network describes it. A forward
pre-hook on that layer reads it while the network runs, so nothing runs twice.
"""

from __future__ import annotations

import torch
from torch import nn


def classifier_layer(model: nn.Module) -> nn.Linear:
    """The last linear layer: the head of a pretrained backbone, else the last ``nn.Linear`` registered."""
    if hasattr(model, "head") and callable(model.head):
        head = model.head()
        if isinstance(head, nn.Linear):
            return head
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no linear layer to read features from")
    return linears[-1]


@torch.no_grad()
def features_and_logits(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(features (N, D) the last linear layer receives, logits (N, classes)) of prepared input ``x``."""
    seen: list[torch.Tensor] = []
    hook = classifier_layer(model).register_forward_pre_hook(lambda _m, inputs: seen.append(inputs[0]))
    try:
        logits = model(x)
    finally:
        hook.remove()
    return seen[-1].flatten(1).float(), logits.float()
