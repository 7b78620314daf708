"""The progress bar both engines draw while an epoch runs: tqdm, on stderr, only on a terminal."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm


class Progress:
    """``Progress(total, "epoch 1/3").update(done, loss=0.31, acc=0.91)``; ``final=True`` closes it.

    Disabled (draws nothing, costs nothing) when ``enabled`` is False or stderr is not a terminal,
    so logs and pipes get only the one line per epoch that the run prints.
    """

    def __init__(self, total: int, label: str, enabled: bool = True, unit: str = "img"):
        self.bar = tqdm(
            total=total,
            desc=label,
            unit=unit,
            unit_scale=True,
            file=sys.stderr,
            disable=None if enabled else True,  # None: tqdm's own "off unless a terminal"
            mininterval=0.2,
            dynamic_ncols=True,
            leave=True,
        )

    def update(self, done: int, final: bool = False, **metrics: float) -> None:
        if self.bar.disable:
            return
        self.bar.n = done
        if metrics:  # without them, the last ones shown stay
            self.bar.set_postfix({k: f"{v:.4f}" for k, v in metrics.items()}, refresh=False)
        if final:
            self.bar.close()
        else:
            self.bar.refresh() if done >= self.bar.total else self.bar.update(0)

    def close(self) -> None:
        self.bar.close()
