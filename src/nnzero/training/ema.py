"""An exponential moving average of the weights (Polyak averaging), kept beside the training model.

Every optimizer step moves the average a little towards the current weights: ``avg <- d * avg +
(1 - d) * w``. The average forgets the noise of single steps, so it is often a little more
accurate than the last weights; with ``train.ema`` set, validation, best.pt and the test use it.
torch's AveragedModel does the averaging (batch norm's running statistics too); the decay
starts low, ``min(d, (1 + n) / (10 + n))`` after n steps as in timm and TensorFlow, so the
random first weights are soon forgotten even in a short run.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from nnzero.training.checkpoint import plain_state_dict


def _multi_avg(decay: float):
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], n_averaged: torch.Tensor) -> None:
        d = min(decay, (1 + float(n_averaged)) / (10 + float(n_averaged)))
        if torch.is_floating_point(averaged[0]):
            torch._foreach_lerp_(averaged, current, 1 - d)
        else:  # integer buffers (batch norm's step count): the newest value
            torch._foreach_copy_(averaged, current)

    return update


def weight_average(model: nn.Module, decay: float) -> AveragedModel:
    """An averaged copy of ``model`` (its weights and buffers) for ``update_parameters`` after each step."""
    return AveragedModel(model, multi_avg_fn=_multi_avg(decay), use_buffers=True)


def ema_state(average: AveragedModel) -> dict:
    """What last.pt keeps of the average, so that a resumed run goes on averaging exactly."""
    return {"state_dict": plain_state_dict(average.module), "n_averaged": int(average.n_averaged)}


def restore_ema(average: AveragedModel, state: dict) -> None:
    average.module.load_state_dict(state["state_dict"])
    average.n_averaged.fill_(state["n_averaged"])
