"""A frozen backbone's pooled features for every photo and view, computed once and cached.

    feats = cached_features(model, "efficientnet_lite0", source, images, paths, mean, std, root)
    feats.views["photo"], feats.views["mirror"]      # (N, 1280) float32 each

Views: the photo as it is prepared for the model, and its mirror image (left and right
swapped). Training the head on both doubles the examples; averaging both at test time
("test-time augmentation") cancels part of the errors. Only rows not in the cache are
computed (``datasets/features.py`` finds them by each photo's bytes).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from nnzero.datasets.features import FeatureStore, content_keys
from nnzero.i18n import tr
from nnzero.training.device import autocast
from nnzero.training.transfer.onnx_backbone import backbone_engine

VIEWS = ("photo", "mirror")
FEATURES = ("the backbone's features", "骨干网络特征")


@dataclass
class Features:
    views: dict[str, np.ndarray]  # view -> (N, D) float32
    computed: int = 0  # photos whose features were computed in this call (the rest came from the cache)
    seconds: float = 0.0  # spent computing
    stores: list = field(default_factory=list)

    @property
    def images_per_s(self) -> float | None:
        """Backbone passes per second (each photo counts once per view)."""
        return round(self.computed * len(self.views) / self.seconds, 2) if self.computed else None


_JOB: tuple | None = None  # (model, images, mean, std, views, precision, onnx): what forked workers inherit


def feature_params(model_name: str, weights: str | None, size: int) -> dict:
    """What made a backbone's features: the name of their cache entry (``datasets/features.py``).

    Every door computes features under these params (``nnzero train photos``, the Teach page's
    background worker), so a photo's features computed by one are found by the other."""
    from nnzero.datasets.photos import RESIZE
    from nnzero.models.pretrained import weights_source

    return {
        "backbone": model_name,
        "weights": weights_source(model_name, weights),
        "size": size,
        "resize": RESIZE,
    }


def by_split(rows: dict[str, np.ndarray], split: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Rows of every view, computed for the splits' photos one split after another ->
    {split: [photo rows, mirror rows]}."""
    out, offset = {}, 0
    for k, idx in split.items():
        out[k] = [rows[v][offset : offset + len(idx)] for v in VIEWS]
        offset += len(idx)
    return out


def feature_workers() -> int:
    """Processes for feature extraction: NNZERO_FEATURE_WORKERS, else one per thread torch would use.

    ## One process per core, each with one thread, beat one process with two threads on a busy
    ## 2-core machine (10-16 against 8 images/s for lite0, measured): threads that wait for
    ## each other at every layer lose the most when another program takes a core.
    """
    value = os.environ.get("NNZERO_FEATURE_WORKERS", "")
    if value.isdigit():
        return max(1, int(value))
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1  # Windows, and macOS's default: workers would re-import everything
    return max(1, min(torch.get_num_threads(), 8))


@torch.no_grad()
def _embed_chunk(index: np.ndarray) -> dict[str, np.ndarray]:
    model, images, mean, std, views, precision, onnx = _JOB
    x = torch.from_numpy(np.array(images[index])).float().div_(255).sub_(mean).div_(std)  # (B, 3, S, S)
    if onnx is not None:  # onnxruntime runs the exported backbone (training/transfer/onnx_backbone.py)
        return {v: onnx(x.flip(-1) if v == "mirror" else x) for v in views}
    x = x.contiguous(memory_format=torch.channels_last)  # ~1.5x faster convolutions on a CPU (measured)
    with autocast(precision):  # bf16: the backbone in bfloat16; the features stored are float32 either way
        return {v: model.embed(x.flip(-1) if v == "mirror" else x).float().numpy() for v in views}  # (B, D)


def _in_worker(index: np.ndarray) -> dict[str, np.ndarray]:
    torch.set_num_threads(1)
    return _embed_chunk(index)


def embed_batches(
    model: nn.Module,
    images: np.ndarray,
    mean,
    std,
    views=VIEWS,
    index: np.ndarray | None = None,
    batch: int = 32,
    progress: bool = False,
    workers: int | None = None,
    precision: str = "fp32",
) -> dict[str, np.ndarray]:
    """model.embed of uint8 photos (N, 3, S, S) (those at ``index``: a memory map is read a batch at a
    time), normalised with mean/std, for each view: {view: (len(index), D)} float32; ``precision``
    bf16 runs the backbone under bfloat16 autocast (``training/device.py``); float32 runs it in
    onnxruntime where that is installed (``training/transfer/onnx_backbone.py``)."""
    global _JOB
    index = np.arange(len(images)) if index is None else np.asarray(index)
    model.eval()
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    chunks = [index[i : i + batch] for i in range(0, len(index), batch)]
    workers = min(workers or feature_workers(), len(chunks))
    out: dict[str, list[np.ndarray]] = {v: [] for v in views}
    threads = 1 if workers > 1 else torch.get_num_threads()  # forked workers: one thread each
    size = getattr(images, "shape", (None,))[-1]  # a lazy decoder (Teach's) has no shape
    with backbone_engine(model, size, precision, threads, len(index)) as onnx:
        _JOB = (model, images, m, s, views, precision, onnx)
        try:
            _run_chunks(chunks, workers, out, progress)
        finally:
            _JOB = None
    return {v: np.concatenate(rows) if rows else np.zeros((0, 0), np.float32) for v, rows in out.items()}


def _run_chunks(chunks: list[np.ndarray], workers: int, out: dict, progress: bool) -> None:
    """Each chunk through ``_embed_chunk`` (in ``workers`` forked processes), its rows appended to ``out``."""
    views, total, batch = list(out), sum(len(c) for c in chunks), len(chunks[0]) if chunks else 1
    start, shown, done = time.perf_counter(), 0, 0
    if workers > 1:
        pool = multiprocessing.get_context("fork").Pool(workers)
        results = pool.imap(_in_worker, chunks)
    else:
        pool, results = None, map(_embed_chunk, chunks)
    try:
        for chunk, rows in zip(chunks, results):
            for v in views:
                out[v].append(rows[v])
            done += len(chunk)
            if progress and (done - shown >= max(batch, total // 10) or done == total):
                shown = done
                rate = done * len(views) / (time.perf_counter() - start)
                print(f"  {done:,}/{total:,} photos ({rate:.1f} images/s)", file=sys.stderr, flush=True)
    except BaseException:
        if pool is not None:
            pool.terminate()  # Ctrl-C or a failed chunk: the other workers' chunks are not wanted
        raise
    if pool is not None:
        pool.close()
        pool.join()


def cached_features(
    model: nn.Module,
    params: dict,
    images: np.ndarray,
    paths: list[str],
    mean,
    std,
    data_root,
    *,
    views=VIEWS,
    index: np.ndarray | None = None,
    cache_dir=None,
    say=None,
    progress: bool = False,
    what: tuple[str, str] | None = None,
    compute=None,
) -> Features:
    """Features of ``images[index]`` (uint8 (N, 3, S, S), decoded from ``paths``, one per index) for each
    view, from the cache where it has them. ``params`` names what made them (backbone, weights, size, resize).
    ``what``: (English, Chinese) name of the rows in the message; ``compute(positions)``: {view: rows} of
    ``paths[positions]`` when they can be had more cheaply than from the backbone (fine-tuning's activations).
    ``params["precision"]`` (bf16; absent for float32) is the precision the backbone runs in: part of the
    entry's name, so features computed in bfloat16 never stand in for float32 ones, nor the reverse."""
    index = np.arange(len(images)) if index is None else np.asarray(index)
    keys = content_keys(paths)
    stores = {v: FeatureStore.for_data(data_root, {**params, "view": v}, cache_dir) for v in views}
    found = {v: stores[v].lookup(keys) for v in views}
    missing = np.unique(np.concatenate([m for _, m in found.values()])).astype(np.int64)  # (M,)
    result = Features({}, stores=list(stores.values()))
    if len(missing):
        if say:
            say(
                tr(
                    "computing {what} of {m:,} of {n:,} photos x {v} views (only this once, then cached in {d})",
                    "正在计算 {n:,} 张照片中 {m:,} 张的{what_zh} x {v} 个视图 (只需这一次, 之后缓存于 {d})",
                    what=(what or FEATURES)[0],
                    what_zh=(what or FEATURES)[1],
                    m=len(missing),
                    n=len(keys),
                    v=len(views),
                    d=stores[views[0]].folder,
                )
            )
        start = time.perf_counter()
        if compute is not None:
            new = compute(missing)
        else:
            new = embed_batches(
                model, images, mean, std, views, index=index[missing], progress=progress,
                precision=params.get("precision", "fp32"),
            )  # fmt: skip
        result.seconds = time.perf_counter() - start
        result.computed = len(missing)
    for v in views:
        rows, _ = found[v]
        if len(missing):
            rows = rows if rows is not None else np.zeros((len(keys), new[v].shape[1]), np.float32)
            rows[missing] = new[v]
            try:
                stores[v].add([keys[i] for i in missing], new[v])
            except OSError as e:  # a read-only or full disk: the run goes on, the next one computes again
                if say:
                    say(tr("warning: features not cached ({e})", "警告: 特征未能缓存 ({e})", e=e))
        result.views[v] = rows
    return result


def side_by_side(parts: list[Features]) -> Features:
    """Several backbones' features of the same photos as one: each view's rows concatenated (N, sum of D)."""
    if len(parts) == 1:
        return parts[0]
    views = {v: np.concatenate([np.asarray(f.views[v]) for f in parts], 1) for v in parts[0].views}
    stores = [s for f in parts for s in f.stores]
    ## the photos computed are those missing from any part; the seconds, all the parts' together
    return Features(views, max(f.computed for f in parts), sum(f.seconds for f in parts), stores)
