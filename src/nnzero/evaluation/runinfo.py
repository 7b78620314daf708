"""What a run folder holds, read from its files alone (for reports and comparisons).

Works for both engines: ``config.json``, ``metrics.csv`` and ``steps.csv`` are always there; ``best.pt``
only for PyTorch runs, and ``eval/metrics.json`` once the run has been evaluated. Torch is
imported only when there is a ``.pt`` file to read, so NumPy-engine runs never load it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from nnzero.callbacks.runlog import read_rows
from nnzero.callbacks.steps import read_steps
from nnzero.config import TrainConfig
from nnzero.errors import NnzeroError
from nnzero.i18n import tr


@dataclass
class RunInfo:
    run_dir: Path
    config: dict = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)  # metrics.csv, one dict per epoch
    steps: list[dict] = field(default_factory=list)  # steps.csv, one dict every k steps
    checkpoint: dict | None = None  # best.pt when it is an nnzero checkpoint
    checkpoint_error: str = ""  # why best.pt could not be used, when it exists
    eval: dict | None = None  # eval/metrics.json: test accuracy, per class, confusion matrix
    members: list[dict] = field(default_factory=list)  # a committee's members.csv, one dict per member

    @property
    def name(self) -> str:
        return self.run_dir.name

    @property
    def model(self) -> str:
        if self.checkpoint:
            return self.checkpoint["model_name"]
        model = self.config.get("model")
        return str(model.get("name", "?") if isinstance(model, dict) else model or "?")

    @property
    def dataset(self) -> str:
        data = self.config.get("data")
        if isinstance(data, dict):
            return str(data.get("dataset", ""))
        return str(self.config.get("dataset", "") or (self.checkpoint or {}).get("dataset", ""))

    @property
    def test_accuracy(self) -> float | None:
        for source in ((self.checkpoint or {}).get("metrics", {}), self.eval or {}):
            if source.get("test_accuracy") is not None:
                return float(source["test_accuracy"])
        return None

    @property
    def best_val_accuracy(self) -> float | None:
        values = [r["val_accuracy"] for r in self.rows if r.get("val_accuracy") is not None]
        return max(values) if values else None

    @property
    def kept(self) -> tuple[int | None, str]:
        """(the epoch whose weights best.pt holds, the rule that chose it: ``train.keep``)."""
        train = self.config.get("train") if isinstance(self.config.get("train"), dict) else {}
        epoch = ((self.checkpoint or {}).get("metrics") or {}).get("epoch")
        return (int(epoch) if epoch is not None else None), str(train.get("keep", TrainConfig.keep))

    @property
    def seconds(self) -> float:
        """Time spent in training epochs (the sum of metrics.csv's seconds column; a committee: its members')."""
        if not self.rows and self.members:
            return round(sum(m.get("train_seconds") or 0.0 for m in self.members), 3)
        return round(sum(r.get("seconds") or 0.0 for r in self.rows), 3)

    def parameters(self) -> int | None:
        if not self.checkpoint:
            return None
        from nnzero.models import count_parameters
        from nnzero.training.checkpoint import model_from_checkpoint

        return count_parameters(model_from_checkpoint(self.checkpoint))

    def final_metrics(self) -> dict:
        """The comparison table's row."""
        return {
            "run": self.name,
            "run_dir": str(self.run_dir),
            "model": self.model,
            "dataset": self.dataset,
            "params": self.parameters(),
            "epochs": len(self.rows),
            "best_val_accuracy": self.best_val_accuracy,
            "test_accuracy": self.test_accuracy,
            "seconds": self.seconds,
        }


def read_run(run_dir: str | Path) -> RunInfo:
    """Everything usable in the folder; missing pieces are left empty, never an error."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise NnzeroError(tr("{path} is not a run folder", "{path} 不是运行目录", path=run_dir))
    if not (run_dir / "metrics.csv").exists() and not (run_dir / "config.json").exists():
        raise NnzeroError(
            tr(
                "{path} holds neither metrics.csv nor config.json; give a folder written by `nnzero train`",
                "{path} 中既没有 metrics.csv 也没有 config.json; 请给出 `nnzero train` 写入的目录",
                path=run_dir,
            )
        )
    info = RunInfo(run_dir, rows=read_rows(run_dir / "metrics.csv"), steps=read_steps(run_dir / "steps.csv"))
    info.config = _json(run_dir / "config.json") or {}
    info.eval = _json(run_dir / "eval" / "metrics.json")
    if (run_dir / "members.csv").exists():  # a committee (nnzero.training.committee imports torch: only then)
        from nnzero.training.committee.record import read_members

        info.members = read_members(run_dir)
    if (run_dir / "best.pt").exists():
        from nnzero.errors import CheckpointError
        from nnzero.training.checkpoint import load_checkpoint

        try:
            info.checkpoint = load_checkpoint(run_dir / "best.pt")
        except CheckpointError as e:
            info.checkpoint_error = str(e)
    return info


def _json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
