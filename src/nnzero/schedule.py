"""Learning-rate schedules as plain functions of the step, so resuming needs only the step number."""

from __future__ import annotations

import math


def lr_at(step: int, total_steps: int, peak: float, schedule: str, warmup: float = 0.2) -> float:
    """The learning rate for optimizer step ``step`` (0-based) of ``total_steps``.

    ## One-cycle (Smith 2018): rise linearly to the peak, then fall along a cosine to
    ## almost zero. Large steps in the middle explore; tiny steps at the end settle.
    """
    if schedule == "constant" or total_steps <= 1:
        return peak
    t = min(step, total_steps - 1) / (total_steps - 1)  # progress in [0, 1]
    if schedule == "cosine":
        return peak * 0.5 * (1 + math.cos(math.pi * t))
    if schedule == "onecycle":
        start, end = peak / 25, peak / 1e4
        if t < warmup:
            return start + (peak - start) * t / warmup
        return end + (peak - end) * 0.5 * (1 + math.cos(math.pi * (t - warmup) / (1 - warmup)))
    raise ValueError(f"unknown schedule {schedule!r}")
