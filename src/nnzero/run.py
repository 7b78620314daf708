"""``nnzero.Run``: what a training run returns, and what its callbacks see while it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Run:
    """One training run, of either engine.

    ``dir``: the run folder (None for a dry run, which keeps nothing); ``checkpoint``: the file to
    evaluate, predict or serve (best.pt; model.npz for the NumPy engine); ``history``: one dict per
    epoch, the rows of metrics.csv; ``steps``: one dict every k steps (step, epoch as a fraction,
    train_loss, train_accuracy, lr), the rows of steps.csv; ``metrics``: the final metrics, the dict
    ``--json`` prints;
    ``config``: the settings the run used (config.json); ``test_logits``: the kept weights' outputs
    (N, classes) on the test set, in its order, as the final test computed them (None without a
    test set), so that the report need not run the network again. A callback sets
    ``stop_training`` to end training after the current epoch.
    """

    dir: Path | None
    checkpoint: Path | None = None
    history: list[dict] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    engine: str = "torch"  # torch | scratch
    dry_run: bool = False
    rank: int = 0  # under torchrun: this process's rank (only rank 0 writes and reports)
    stop_training: bool = False
    test_logits: Any = field(default=None, repr=False)  # a torch.Tensor on the CPU, or None

    @property
    def test_accuracy(self) -> float | None:
        """Accuracy of the kept weights on the test set; None when the data had no test set."""
        value = self.metrics.get("test_accuracy")
        return None if value is None else float(value)

    def without_folder(self) -> Run:
        """A dry run's result: the temporary folder it wrote into is gone."""
        self.dir = self.checkpoint = None
        self.metrics |= {"run_dir": None, "checkpoint": None, "dry_run": True}
        return self

    def __repr__(self) -> str:
        acc = self.test_accuracy
        shown = "n/a" if acc is None else f"{acc:.4f}"
        return f"Run(dir={str(self.dir)!r}, epochs={len(self.history)}, test_accuracy={shown})"
