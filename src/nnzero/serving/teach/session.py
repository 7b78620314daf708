"""One open Teach project: its examples, the background features, the trainings, and what the page asks.

    teacher = Teacher("my_classes").start()     # `nnzero teach my_classes` does this, then serves the page
    teacher.add("杯子", [(jpeg_bytes, "IMG_1.jpg")])
    teacher.train()                             # {"run": "my_classes-1", "val_accuracy": ..., ...}
    teacher.close()

The web routes (``serving/routes/teach.py``) and the command line only call this.
"""

from __future__ import annotations

import time
from pathlib import Path

from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.serving.teach.store import MAX_EXAMPLES, MAX_PROJECT_BYTES, Project
from nnzero.serving.teach.training import (
    Progress,
    check_trainable,
    last_result,
    latest_run,
    project_slug,
    train_project,
)
from nnzero.serving.teach.worker import FeatureWorker

## EfficientNet-Lite0: the smallest of the three backbones, 33 ms a photo on one core (lite2: 44 ms,
## a third fewer photos a second when computing features), so the live preview answers fast and a
## new example's features are ready before the next is captured; on the flowers, five-fold
## cross-validation put it level with lite1 and ahead of lite2 (docs/photos.md).
DEFAULT_BACKBONE = "efficientnet_lite0"


class Busy(NnzeroError):
    """A training is already running (the API answers 409)."""


class Teacher:
    def __init__(
        self,
        root: str | Path,
        *,
        backbone: str = DEFAULT_BACKBONE,
        max_bytes: int = MAX_PROJECT_BYTES,
        max_examples: int = MAX_EXAMPLES,
    ):
        self.project = Project(root, max_bytes=max_bytes, max_examples=max_examples)
        self.backbone = backbone
        self.worker = FeatureWorker(self.project.root, backbone)
        self.progress = Progress()
        self.name = project_slug(self.project.root)  # the served model's name (the app may make it unique)

    @property
    def root(self) -> Path:
        return self.project.root

    def start(self) -> Teacher:
        """Start the feature worker on every example already there (the cache answers for most)."""
        self.worker.start()
        self.worker.submit(e.path for e in self.project.examples())
        return self

    def close(self) -> None:
        self.worker.stop()

    def latest_checkpoint(self) -> Path | None:
        run = latest_run(self.root)
        return None if run is None else run / "best.pt"

    # -- what the routes call ------------------------------------------------------------------
    def add(self, label: str, files: list[tuple[bytes, str]], burst: str | None = None) -> dict:
        added = self.project.add(label, files, burst)
        self.worker.submit(e.path for e in added)
        return {
            "ids": [e.id for e in added],
            "label": added[0].label if added else label,
            "burst": added[0].burst if burst or len(added) == 1 else None,
            "counts": self.project.counts(),
        }

    def delete(self, example: str) -> dict | None:
        gone = self.project.delete(example)
        return (
            None
            if gone is None
            else {"deleted": gone.id, "label": gone.label, "counts": self.project.counts()}
        )

    def delete_class(self, label: str) -> dict | None:
        gone = self.project.delete_class(label)
        return (
            None
            if not gone
            else {"deleted": [e.id for e in gone], "label": label, "counts": self.project.counts()}
        )

    def train(self) -> dict:
        """One training now; Busy if one is running. The page polls ``describe()["training"]`` meanwhile."""
        check_trainable(self.project.counts())  # a clear 422 before taking the lock
        progress = self.progress
        if not progress.lock.acquire(blocking=False):
            raise Busy(
                tr(
                    "a training of this project is already running; wait for it to finish",
                    "这个项目正在训练中; 请等它结束",
                )
            )
        try:
            progress.running, progress.error, progress.lines, progress.started = True, None, [], time.time()
            result = train_project(self.project, self.worker, self.backbone, progress)
            progress.stage = "done"
            return result
        except BaseException as e:
            progress.stage, progress.error = "failed", f"{type(e).__name__}: {e}"
            raise
        finally:
            progress.running = False
            progress.lock.release()

    def describe(self) -> dict:
        """What GET /api/teach answers (the route adds the served model's name): the classes and their
        examples, the features, the training's stage, the latest training's answer."""
        classes = self.project.classes()
        run = latest_run(self.root)
        return {
            "project": self.root.name,
            "dir": str(self.root),
            "backbone": self.backbone,
            "classes": [
                {"name": name, "count": len(items), "examples": [e.id for e in items]}
                for name, items in classes.items()
            ],
            "total": sum(len(items) for items in classes.values()),
            "features": {
                "pending": self.worker.pending(),
                "computed": self.worker.computed,
                "error": self.worker.error,
            },
            "training": self.progress.describe(),
            "last": last_result(run),
            "limits": {"examples": self.project.max_examples, "bytes": self.project.max_bytes},
        }
