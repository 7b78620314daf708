"""The backbone's features of each new example, computed in the background as examples arrive.

    worker = FeatureWorker("my_classes", "efficientnet_lite0").start()
    worker.submit(paths)          # returns at once; the features land in the cache `nnzero train photos` reads
    worker.wait_idle()            # before training: everything submitted is cached

## Almost all of a transfer-learning run's time on a CPU is the frozen backbone turning photos into
## features; fitting the classifier on them takes a second or two. A person adding examples gives the
## machine that time for free: each example's features (the photo and its mirror image) are computed
## while the next one is captured, so pressing Train only fits the classifier.

The features go through ``transfer.features.cached_features`` under ``feature_params``, keyed by each
file's bytes: the very rows ``nnzero train photos --data-dir DIR`` (and the Train button) look up.
One thread, one torch thread pool shared with the server's predictions; no worker processes (forking
a server that runs threads is not safe).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD, decode_photo
from nnzero.errors import NnzeroError
from nnzero.models import create_model, model_entry
from nnzero.training.transfer.features import cached_features, embed_batches, feature_params

BATCH = 32  # examples per pass: small enough that a new capture waits little, large enough to batch


class _Photos:
    """The photos at ``paths``, decoded when indexed (as the cache's arrays are indexed): (n, 3, S, S)."""

    def __init__(self, paths: list[str], size: int):
        self.paths, self.size = paths, size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index) -> np.ndarray:
        return np.stack([decode_photo(self.paths[i], self.size) for i in np.atleast_1d(index)])


class FeatureWorker:
    """One background thread that caches the features of every path submitted to it."""

    def __init__(self, root: str | Path, backbone: str):
        self.root, self.backbone = Path(root), backbone
        self.size = model_entry(backbone).image_size
        self.compute_lock = threading.Lock()  # held while computing; training holds it while it runs
        self.computed = 0  # examples whose features this worker computed (the cache had the others)
        self.error: str | None = None  # the last failure, for the page
        self._queue: dict[str, None] = {}  # paths in arrival order, each once
        self._busy = 0
        self._cond = threading.Condition()
        self._model = None
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="nnzero-teach-features", daemon=True)

    def start(self) -> FeatureWorker:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def submit(self, paths) -> None:
        with self._cond:
            self._queue.update((str(p), None) for p in paths)
            self._cond.notify_all()

    def pending(self) -> int:
        """Examples submitted whose features are not cached yet (the batch being computed included)."""
        with self._cond:
            return len(self._queue) + self._busy

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until everything submitted is cached (True), or ``timeout`` seconds passed (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    def model(self):
        """The frozen backbone (built on first use: a second or two)."""
        if self._model is None:
            self._model = create_model(self.backbone, 2, 3, self.size, pretrained=True).eval()
        return self._model

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._stop)
                if self._stop:
                    return
                batch = list(self._queue)[:BATCH]
                for path in batch:
                    del self._queue[path]
                self._busy = len(batch)
            try:
                with self.compute_lock:
                    self._compute([p for p in batch if Path(p).exists()])  # deleted meanwhile: skipped
                self.error = None
            except Exception as e:  # noqa: BLE001 - the worker must outlive a bad file; training will say more
                self.error = f"{type(e).__name__}: {e}"
            finally:
                with self._cond:
                    self._busy = 0
                    self._cond.notify_all()

    def _compute(self, paths: list[str]) -> None:
        """Cache the features of ``paths``; a file that cannot be decoded is left to training to report."""
        if not paths:
            return
        try:
            self._cache(paths)
        except (NnzeroError, OSError):
            for path in paths:  # one bad file: the others still get their features
                try:
                    self._cache([path])
                except (NnzeroError, OSError):
                    pass

    def _cache(self, paths: list[str]) -> None:
        model, photos = self.model(), _Photos(paths, self.size)

        def compute(positions: np.ndarray) -> dict[str, np.ndarray]:
            self.computed += len(positions)
            return embed_batches(model, photos, IMAGENET_MEAN, IMAGENET_STD, index=positions, workers=1)

        params = feature_params(self.backbone, None, self.size)
        cached_features(model, params, photos, paths, IMAGENET_MEAN, IMAGENET_STD, self.root, compute=compute)
