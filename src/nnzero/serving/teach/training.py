"""Train: an ordinary ``nnzero train photos`` run on the project folder, then what the page shows of it.

    result = train_project(project, worker, "efficientnet_lite0", progress)
    result["val_accuracy"], result["per_class"], result["confusion_matrix"], result["warnings"]

The run is ``nnzero.train("photos", data_dir=DIR, runs_dir=DIR/runs)``: the same split (test photos
held out first, by capture burst), the same cached features, the same head, checkpoint, metrics.csv
and report.html as the command's, so ``nnzero evaluate/predict/serve DIR/runs/NAME`` agree with the page.
What the page adds is written beside them as ``teach.json`` (the warnings, the held-out scores per class),
so that reopening the project shows the last training as it was. A training that fails leaves the class
folders as they were (it only reads them) and writes no ``best.pt``, so the model served before stays.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from nnzero.datasets.features import FeatureStore, content_keys
from nnzero.errors import DataError
from nnzero.evaluation.api import train
from nnzero.evaluation.evaluate import evaluate_checkpoint
from nnzero.i18n import tr
from nnzero.rundir import read_json, write_json
from nnzero.serving.teach.advice import advice, changed_while_training
from nnzero.serving.teach.store import Project
from nnzero.serving.teach.worker import FeatureWorker
from nnzero.training.transfer.features import feature_params

## With a handful of examples a class, 10% for validation is one photo: the L2 strength and the
## temperature would be chosen on it. A fifth of each class's captures gives the choice a few to go on.
VAL_FRACTION = 0.2
RESULT = "teach.json"  # beside best.pt in the run folder


@dataclass
class Progress:
    """What the page shows while a training runs (GET /api/teach polls it)."""

    running: bool = False
    stage: str = "idle"  # idle | features | fitting | done | failed
    started: float = 0.0
    lines: list[str] = field(default_factory=list)  # the run's messages, as `nnzero train` prints them
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one training at a time

    def say(self, message: str) -> None:
        self.lines = [*self.lines[-19:], str(message)]

    def describe(self) -> dict:
        since = round(time.time() - self.started, 1) if self.running else None
        return {
            "running": self.running,
            "stage": self.stage,
            "seconds": since,
            "lines": self.lines[-6:],
            "error": self.error,
        }


def check_trainable(counts: dict[str, int]) -> None:
    """Two classes with examples at least; DataError (422) otherwise."""
    if len(counts) < 2:
        raise DataError(
            tr(
                "training needs examples of at least two classes; this project has {n} ({names})",
                "训练至少需要两个类别的样本; 这个项目现在有 {n} 个 ({names})",
                n=len(counts),
                names=", ".join(counts) or "-",
            )
        )


def train_project(project: Project, worker: FeatureWorker, backbone: str, progress: Progress) -> dict:
    """One training of the project as it is now (see the module docstring); the summary the page shows."""
    start = time.perf_counter()
    classes = project.classes()
    check_trainable({c: len(items) for c, items in classes.items()})
    progress.stage = "features"
    worker.wait_idle()  # the examples' features are cached: the run below only fits the head
    threads = (
        torch.get_num_threads()
    )  # a training takes every core; the server's predictions want theirs back
    with worker.compute_lock:
        progress.stage = "fitting"
        try:
            run = train(
                "photos",
                model=backbone,
                data_dir=project.root,
                runs_dir=project.root / "runs",
                name=next_run_name(project.root),
                val_fraction=VAL_FRACTION,
                ## the head alone, on the float32 features the worker cached: not the photos default's
                ## choice of fine-tuning, nor bf16 features (another cache entry) on a bf16 CPU
                fine_tune=0,
                precision="fp32",
                progress=False,
                say=progress.say,
            )
        finally:
            torch.set_num_threads(threads)
    result = summary(run, classes, _features_of(project, backbone, classes))
    result["seconds"] = round(time.perf_counter() - start, 2)
    write_json(Path(run.dir) / RESULT, result)
    return result


def summary(run, classes: dict, features: dict) -> dict:
    """What POST /api/teach/train answers: the run, its validation and held-out scores, the warnings."""
    metrics = run.metrics
    out = {
        "run": Path(run.dir).name,
        "run_dir": str(run.dir),
        "checkpoint": str(run.checkpoint),
        "backbone": run.config["model"]["name"],
        "val_accuracy": metrics.get("val_accuracy"),
        "test_accuracy": metrics.get("test_accuracy"),
        "classes": list(classes),
        "examples": {c: len(items) for c, items in classes.items()},
        "head_seconds": metrics.get("head_seconds"),
        "per_class": {},
        "confusion_matrix": [],
        "held_out": 0,
        "warnings": advice(classes, features),
    }
    if metrics.get("test_accuracy") is not None:
        try:
            scored = evaluate_checkpoint(run.checkpoint, logits=run.test_logits, top_mistakes=0)
        except DataError:  # a class was added or removed while it trained: the folder is not the run's
            out["warnings"].append(changed_while_training())
            return out
        out["held_out"] = scored["images"]
        out["confusion_matrix"] = scored["confusion_matrix"]
        out["per_class"] = {
            c: {"accuracy": s["recall"] if s["support"] else None, "photos": s["support"]}
            for c, s in scored["per_class"].items()
        }
    return out


def next_run_name(root: Path) -> str:
    """``<project>-<n>``, one more than the runs already there (runs/flowers-1, runs/flowers-2, ...)."""
    slug = project_slug(root)
    runs = root / "runs"
    taken = [
        int(m.group(1))
        for p in runs.glob(f"{slug}-*")
        if (m := re.fullmatch(rf"{re.escape(slug)}-(\d+)", p.name))
    ]
    return f"{slug}-{max(taken, default=0) + 1}"


def project_slug(root: Path) -> str:
    """The project folder's name in letters, digits, '.', '_' and '-' (``teach`` when nothing is left)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", Path(root).name).strip("-.") or "teach"


def latest_run(root: Path) -> Path | None:
    """The newest run folder of the project that has a best.pt (a failed or interrupted run has none)."""
    found = [p.parent for p in (Path(root) / "runs").glob("*/best.pt")]
    return max(found, key=lambda p: (p / "best.pt").stat().st_mtime_ns, default=None)


def last_result(run_dir: Path | None) -> dict | None:
    """The summary a run's training wrote (teach.json), or None."""
    if run_dir is None or not (run_dir / RESULT).exists():
        return None
    try:
        return read_json(run_dir / RESULT)
    except Exception:  # noqa: BLE001 - a damaged summary only costs the page its details
        return None


def _features_of(project: Project, backbone: str, classes: dict) -> dict[str, np.ndarray]:
    """{example id: its cached photo-view features}, for finding near-twins (nothing is computed)."""
    from nnzero.models import model_entry

    items = [e for examples in classes.values() for e in examples]
    size = model_entry(backbone).image_size
    store = FeatureStore.for_data(project.root, {**feature_params(backbone, None, size), "view": "photo"})
    try:
        rows, missing = store.lookup(content_keys([str(e.path) for e in items]))
    except OSError:
        return {}
    if rows is None:
        return {}
    gone = set(missing.tolist())
    return {e.id: rows[i] for i, e in enumerate(items) if i not in gone}
