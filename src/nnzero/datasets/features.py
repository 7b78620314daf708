"""Frozen-backbone features cached on disk, one row per photo, keyed by the photo's bytes.

## A frozen ImageNet backbone turns the same photo into the same 1280 numbers every time.
## Computing them costs ~99% of a transfer-learning run on a CPU; fitting the classifier
## on them takes seconds. So they are computed once per photo and view (the photo, its
## mirror image) and kept: a second run, with other classifier settings, starts at once.

An entry is one float32 array (rows, D) and a .json listing each row's key: the SHA-256 of
the photo file's bytes. Its name is a hash of what made the numbers: the backbone, its
weights, the input size, the resize and the view. Rows are found by key, so a renamed
photo keeps its row, a changed photo gets a new one, and new photos are computed alone.
The .npy is checked against the size its .json records (a torn or truncated file is
computed again). It lives in the photo decode cache's folder (``datasets.cache``).
This module only stores; computing features needs a model (``training/transfer/features.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnzero.datasets.cache import default_cache_dir

FORMAT = 1


def content_keys(paths: list[str]) -> list[str]:
    """SHA-256 (first 32 hex digits) of each file's bytes: the same photo has the same key anywhere."""
    out = []
    for p in paths:
        with open(p, "rb") as f:
            out.append(hashlib.sha256(f.read()).hexdigest()[:32])
    return out


def entry_name(params: dict) -> str:
    text = json.dumps({"format": FORMAT, **params}, sort_keys=True, separators=(",", ":"), default=str)
    return "features-" + hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass
class FeatureStore:
    """Rows of features for one backbone + weights + size + view, in ``folder``."""

    folder: Path
    params: dict  # everything that changes the numbers (JSON-able)

    @classmethod
    def for_data(cls, data_root, params: dict, cache_dir=None) -> FeatureStore:
        folder = Path(cache_dir) if cache_dir is not None else default_cache_dir(data_root)
        return cls(folder, dict(params))

    @property
    def name(self) -> str:
        return entry_name(self.params)

    def _read(self) -> tuple[np.ndarray, list[str]] | None:
        npy, js = self.folder / f"{self.name}.npy", self.folder / f"{self.name}.json"
        try:
            meta = json.loads(js.read_text(encoding="utf-8"))
            if npy.stat().st_size != meta["bytes"]:  # torn or truncated: compute again
                return None
            rows = np.load(npy, mmap_mode="r")
        except (OSError, ValueError, KeyError):
            return None
        if rows.dtype != np.float32 or rows.shape[0] != len(meta["keys"]):
            return None
        return rows, list(meta["keys"])

    def lookup(self, keys: list[str]) -> tuple[np.ndarray | None, np.ndarray]:
        """(features of the rows found, (N, D) with zeros where missing, or None if none; missing indices)."""
        found = self._read()
        if found is None:
            return None, np.arange(len(keys))
        rows, stored = found
        where = {k: i for i, k in enumerate(stored)}
        have = np.array([where.get(k, -1) for k in keys], np.int64)  # (N,)
        out = np.zeros((len(keys), rows.shape[1]), np.float32)  # (N, D)
        ok = have >= 0
        out[ok] = rows[have[ok]]
        return out, np.flatnonzero(~ok)

    def add(self, keys: list[str], features: np.ndarray) -> Path:
        """Store rows (keys[i] -> features[i]) beside the ones already there; atomic (temp, rename, .json last)."""
        found = self._read()
        if found is not None:
            old_rows, old_keys = found
            new = [i for i, k in enumerate(keys) if k not in set(old_keys)]
            keys = old_keys + [keys[i] for i in new]
            features = np.concatenate([np.asarray(old_rows), features[new]])
        self.folder.mkdir(parents=True, exist_ok=True)
        npy, js = self.folder / f"{self.name}.npy", self.folder / f"{self.name}.json"
        tmp_npy = self.folder / f".{self.name}.{os.getpid()}.npy.tmp"
        tmp_js = self.folder / f".{self.name}.{os.getpid()}.json.tmp"
        try:
            with open(tmp_npy, "wb") as f:
                np.save(f, np.ascontiguousarray(features, np.float32))
                f.flush()
                os.fsync(f.fileno())
            meta = {"params": self.params, "keys": keys, "bytes": tmp_npy.stat().st_size}
            tmp_js.write_text(json.dumps(meta), encoding="utf-8")
            os.replace(tmp_npy, npy)
            os.replace(tmp_js, js)
        finally:
            tmp_npy.unlink(missing_ok=True)
            tmp_js.unlink(missing_ok=True)
        return npy
