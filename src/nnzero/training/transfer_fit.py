"""Transfer learning in seconds: a frozen ImageNet backbone's cached features, and a linear head on them.

    run = fit_on_features(data_cfg, model_cfg, train_cfg, run_dir, callbacks, Run(run_dir))

The steps, for any folder of photos (any layout, any number of classes):
1. the held-out test photos: a labelled test/ (or val/) folder, else a stratified, seeded 20% of
   each class (``datasets.photos.held_out_mask``), the same for every run and every model;
2. validation: a stratified, seeded share of the rest (``--val-fraction``);
3. the backbone's features of every photo and its mirror image, from the cache where it has them;
4. logistic regression on the training features; L2, temperature and (two classes) the Kaggle
   clip chosen on validation (``training/head.py``);
5. the head's weights put into the network's last layer: ``best.pt`` is an ordinary nnzero
   checkpoint (backbone + head), which evaluate, predict, serve and submit use unchanged.
The test photos are scored once, at the end, by nothing that chose a setting.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import torch

from nnzero.callbacks import CallbackList, epoch_row
from nnzero.config import DataConfig, ModelConfig, TrainConfig, to_dict
from nnzero.datasets.base import input_spec
from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD, RESIZE, held_out_mask, read_photos
from nnzero.errors import DataError
from nnzero.i18n import tr
from nnzero.models import create_model, model_entry
from nnzero.run import Run
from nnzero.rundir import write_json
from nnzero.training.checkpoint import save_checkpoint
from nnzero.training.features import VIEWS, cached_features
from nnzero.training.head import clipped_nll, fit_head, nll, softmax

DRY_RUN_PER_CLASS = 4  # --dry-run: this many photos of each class, in each split


def uses_features(data_cfg: DataConfig, model_cfg: ModelConfig) -> bool:
    """Photos on a frozen pretrained backbone that has ``embed``: the cached-features path applies."""
    if data_cfg.dataset not in ("photos", "catsdogs") or not model_cfg.freeze_backbone:
        return False
    if not (model_cfg.pretrained or model_cfg.weights):
        return False
    return model_entry(model_cfg.name).pretrained != {}


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """True for a seeded ``fraction`` of each class (at least one photo of each when fraction > 0)."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(labels), bool)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        k = int(round(len(members) * fraction))
        mask[rng.permutation(members)[: max(k, 1 if fraction > 0 and len(members) > 1 else 0)]] = True
    return mask


def _splits(load, data_cfg: DataConfig, seed: int, dry_run: bool) -> dict[str, np.ndarray]:
    """Indices into the decoded photos: train, val, test (stratified, seeded, disjoint)."""
    labels = load.labels()
    test = held_out_mask(labels, np.asarray(load.listing.held_out, bool)[load.kept])
    rest = np.flatnonzero(~test)
    if data_cfg.limit:
        rest = np.sort(np.random.default_rng(seed).permutation(rest)[: data_cfg.limit])
    val = rest[stratified_split(labels[rest], data_cfg.val_fraction, seed)]
    out = {"train": np.setdiff1d(rest, val), "val": val, "test": np.flatnonzero(test)}
    if dry_run:
        out = {
            k: np.concatenate([v[labels[v] == c][:DRY_RUN_PER_CLASS] for c in np.unique(labels)])
            for k, v in out.items()
        }
    return out


def _score(head, views: list[np.ndarray], y: np.ndarray) -> dict:
    """Accuracy and log-loss of the photo alone (what evaluate sees) and of photo + mirror (--tta)."""
    if not len(y):
        return {}
    p1, p2 = softmax(head.logits(views[0])), head.proba(views)
    return {
        "accuracy": float((p1.argmax(1) == y).mean()),
        "loss": nll(p1, y),
        "accuracy_tta": float((p2.argmax(1) == y).mean()),
        "loss_tta": nll(p2, y),
    }


def fit_on_features(
    data_cfg: DataConfig,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    run_dir: Path | None,
    callbacks: CallbackList | None = None,
    run: Run | None = None,
    *,
    say=print,
    progress: bool = True,
    dry_run: bool = False,
    cache_dir=None,
) -> Run:
    """The whole run (see the module docstring), with the callbacks a Trainer run gets (one epoch:
    the head is fitted in one go); returns the ``Run``."""
    callbacks = callbacks or CallbackList()
    run = run or Run(run_dir, dry_run=dry_run)
    start = time.perf_counter()
    size = data_cfg.image_size or model_entry(model_cfg.name).image_size
    load = _labelled_photos(data_cfg.data_dir, size, progress, cache_dir)
    classes, labels = list(load.listing.classes), load.labels()
    split = _splits(load, data_cfg, train_cfg.seed, dry_run)
    say(_split_note(any(load.listing.held_out), {k: len(v) for k, v in split.items()}, len(classes)))
    torch.manual_seed(train_cfg.seed)
    model = create_model(
        model_cfg.name, len(classes), 3, size, pretrained=model_cfg.pretrained, weights=model_cfg.weights
    ).eval()
    views, info = _features(model, model_cfg, size, load, split, cache_dir, say, progress)
    y = {k: labels[idx] for k, idx in split.items()}
    head = fit_head(views["train"], y["train"], views["val"], y["val"], len(classes))
    with torch.no_grad():
        model.head().weight.copy_(torch.from_numpy(head.weight))
        model.head().bias.copy_(torch.from_numpy(head.bias))
    scores = {k: _score(head, views[k], y[k]) for k in split}
    metrics = _metrics(head, scores, info, views["test"], y["test"])
    model_cfg = dataclasses.replace(model_cfg, num_classes=len(classes), in_channels=3, image_size=size)
    run.config = to_dict(
        data=dataclasses.replace(data_cfg, image_size=size), model=model_cfg, train=train_cfg
    )
    if run_dir is not None:
        write_json(run_dir / "config.json", run.config)
        _list_skipped(run_dir, load.skipped)
    callbacks.on_train_begin(run)
    train, val = scores["train"], scores["val"]
    held = (val["loss"], val["accuracy"]) if val else None
    run.history = [
        epoch_row(1, (train["loss"], train["accuracy"]), held, 0.0, head.seconds, len(y["train"]) * 2)
    ]
    callbacks.on_epoch_end(1, run.history[0])
    best = None
    if run_dir is not None:
        spec = input_spec("photos", 3, size, IMAGENET_MEAN, IMAGENET_STD, "crop")
        best = save_checkpoint(
            run_dir / "best.pt", model, model_name=model_cfg.name, model_kwargs=_sizes(model_cfg),
            classes=classes, input_spec=spec, metrics=metrics, config=run.config, dataset=data_cfg.dataset,
        )  # fmt: skip
    say(_result_line(head, val, scores["test"]))
    metrics["seconds"] = round(time.perf_counter() - start, 2)
    run.metrics = {"run_dir": str(run_dir) if run_dir else None, "checkpoint": str(best) if best else None}
    run.metrics |= metrics
    run.checkpoint = best
    callbacks.on_train_end(run)
    return run


def _sizes(model_cfg: ModelConfig) -> dict:
    return {"num_classes": model_cfg.num_classes, "in_channels": 3, "image_size": model_cfg.image_size}


def _labelled_photos(data_dir, size: int, progress: bool, cache_dir):
    load = read_photos(data_dir, size, quiet=not progress, cache_dir=cache_dir)
    if not load.listing.labelled:
        raise DataError(
            tr(
                "{root} holds unlabelled photos (a Kaggle test set): nothing to train on",
                "{root} 中是没有标签的照片 (Kaggle 测试集): 无法训练",
                root=load.listing.root,
            )
        )
    return load


def _features(model, model_cfg, size, load, split, cache_dir, say, progress) -> tuple[dict, dict]:
    """{split: [photo features, mirror features]} for train, val and test, and what to record of them."""
    from nnzero.models.transfer import weights_source

    params = {"backbone": model_cfg.name, "weights": weights_source(model_cfg.name, model_cfg.weights)}
    params |= {"size": size, "resize": RESIZE}
    used = np.concatenate(list(split.values()))
    paths = load.paths()
    feats = cached_features(
        model, params, load.images, [paths[i] for i in used], IMAGENET_MEAN, IMAGENET_STD,
        load.listing.root, cache_dir=cache_dir, say=say, progress=progress, index=used,
    )  # fmt: skip
    views, offset = {}, 0
    for k, idx in split.items():
        views[k] = [feats.views[v][offset : offset + len(idx)] for v in VIEWS]
        offset += len(idx)
    info = {
        "computed": feats.computed,
        "cached": len(used) - feats.computed,
        "seconds": round(feats.seconds, 2),
        "images_per_s": feats.images_per_s,
        "views": list(VIEWS),
        "frozen": True,  # the backbone is the pretrained one: evaluate may reuse these features
        "params": params,
        "cache_dir": str(feats.stores[0].folder),
    }
    return views, info


def _metrics(head, scores: dict, features: dict, test_views, y_test) -> dict:
    """What the checkpoint and ``--json`` report: validation and test scores, the calibration chosen."""
    val, test, train = scores["val"], scores["test"], scores["train"]
    calibration = {"temperature": round(head.temperature, 4), "l2": head.l2, "chosen_on": "validation"}
    if head.clip is not None:
        calibration["clip"] = head.clip
    metrics = {
        "epoch": 1,
        "val_accuracy": val.get("accuracy"),
        "val_loss": val.get("loss"),
        "train_accuracy": train["accuracy"],
        "calibration": calibration,
        "features": features,
        "head_seconds": head.seconds,
        "l2_grid": head.grid,
    }
    if test:
        metrics |= {"test_accuracy": test["accuracy"], "test_loss": test["loss"]}
        metrics |= {"test_accuracy_tta": test["accuracy_tta"], "test_loss_tta": test["loss_tta"]}
        if head.clip is not None:  # what `nnzero submit --tta` would score on these photos
            metrics["test_log_loss_submit"] = clipped_nll(head.proba(test_views)[:, 1], y_test, head.clip)
    return metrics


def _list_skipped(run_dir: Path, skipped: list) -> None:
    """Files of the data folder that could not be decoded, one per line with why (skipped_files.txt)."""
    if skipped:
        lines = "".join(f"{f}\t{why}\n" for f, why in skipped)
        (run_dir / "skipped_files.txt").write_text(lines, encoding="utf-8")


def _split_note(from_folder: bool, counts: dict, n_classes: int) -> str:
    where = (
        tr("the labelled test/ folder", "带标签的 test/ 文件夹")
        if from_folder
        else tr(
            "no test/ folder, so a stratified 20% of each class (seed 0, the same every run) is held out",
            "没有 test/ 文件夹, 因此每个类别按分层抽样留出 20% (种子 0, 每次相同)",
        )
    )
    return tr(
        "{c} classes; test photos: {where}; {tr:,} training, {v:,} validation, {t:,} test photos "
        "(the test photos choose nothing)",
        "{c} 个类别; 测试照片: {where}; 训练 {tr:,} 张, 验证 {v:,} 张, 测试 {t:,} 张 (测试照片不参与任何选择)",
        c=n_classes,
        where=where,
        tr=counts["train"],
        v=counts["val"],
        t=counts["test"],
    )


def _result_line(head, val: dict, test: dict) -> str:
    line = tr(
        "head: logistic regression, L2 {l2:g} and temperature {t:.3f} chosen on validation ({s:.1f} s)",
        "分类层: 逻辑回归, L2 {l2:g} 与温度 {t:.3f} 在验证集上选定 ({s:.1f} 秒)",
        l2=head.l2,
        t=head.temperature,
        s=head.seconds,
    )
    if val:
        line += tr("; validation accuracy {a:.4f}", "; 验证准确率 {a:.4f}", a=val["accuracy"])
    if test:
        line += tr(
            "; test: accuracy {a:.4f}, log-loss {l:.4f} (with the mirror image: {a2:.4f}, {l2:.4f})",
            "; 测试: 准确率 {a:.4f}, 对数损失 {l:.4f} (加镜像: {a2:.4f}, {l2:.4f})",
            a=test["accuracy"],
            l=test["loss"],
            a2=test["accuracy_tta"],
            l2=test["loss_tta"],
        )
    return line
