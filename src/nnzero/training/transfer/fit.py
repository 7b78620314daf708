"""Transfer learning in seconds: a frozen ImageNet backbone's cached features, and a linear head on them.

    run = fit_on_features(data_cfg, model_cfg, train_cfg, run_dir, callbacks, Run(run_dir))

The steps, for any folder of photos (any layout, any number of classes):
1. the held-out test photos: a labelled test/ (or val/) folder, else a stratified, seeded 20% of
   each class (``datasets.photos.held_out_mask``), the same for every run and every model;
2. validation: a stratified, seeded share of the rest (``--val-fraction``; ``split.py``);
3. the backbone's features of every photo and its mirror image, from the cache where it has them;
4. logistic regression on the training features; L2, temperature and (two classes) the Kaggle
   clip chosen on validation (``training/transfer/head.py``);
5. ``--fine-tune``: the backbone's last blocks trained with the head for a few epochs, on the
   cached output of the blocks before them, kept if validation log-loss improves (``fine_tune.py``);
6. the weights put into the network: ``best.pt`` is an ordinary nnzero checkpoint
   (backbone + head), which evaluate, predict, serve and submit use unchanged.
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
from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD
from nnzero.i18n import tr
from nnzero.models import create_model, model_entry
from nnzero.run import Run
from nnzero.rundir import write_json
from nnzero.training.checkpoint import save_checkpoint
from nnzero.training.device import resolve_precision
from nnzero.training.transfer.features import VIEWS, by_split, cached_features, feature_params, side_by_side
from nnzero.training.transfer.fine_tune import (
    check_fine_tunable,
    features_from,
    fine_tune,
    prefix_activations,
    put_head,
)
from nnzero.training.transfer.head import choose_clip, clipped_nll, fit_head, mean_proba, score_logits
from nnzero.training.transfer.known import known_photos
from nnzero.training.transfer.recipe import apply_choice, is_auto, may_fine_tune
from nnzero.training.transfer.split import labelled_photos, split_note, split_photos

CPU = torch.device("cpu")  # features and the head are computed on the CPU (forked workers share the model)


def uses_features(data_cfg: DataConfig, model_cfg: ModelConfig) -> bool:
    """Photos on a frozen pretrained backbone that has ``embed``: the cached-features path applies."""
    if data_cfg.dataset not in ("photos", "catsdogs") or not model_cfg.freeze_backbone:
        return False
    if not (model_cfg.pretrained or model_cfg.weights):
        return False
    return model_entry(model_cfg.name).pretrained != {}


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
    ## --precision auto: bfloat16 where the CPU has it (config.json records which was used)
    train_cfg = dataclasses.replace(train_cfg, precision=resolve_precision(train_cfg.precision, CPU, say))
    start = time.perf_counter()
    size = data_cfg.image_size or model_entry(model_cfg.name).image_size
    load = labelled_photos(data_cfg.data_dir, size, progress, cache_dir)
    classes, labels = list(load.listing.classes), load.labels()
    split = split_photos(load, data_cfg, train_cfg.seed, dry_run)
    say(split_note(any(load.listing.held_out), {k: len(v) for k, v in split.items()}, len(classes)))
    torch.manual_seed(train_cfg.seed)
    model = create_model(
        model_cfg.name, len(classes), 3, size, pretrained=model_cfg.pretrained, weights=model_cfg.weights
    ).eval()
    if train_cfg.fine_tune:
        check_fine_tunable(model, model_cfg.name)
    model_cfg = dataclasses.replace(model_cfg, num_classes=len(classes), in_channels=3, image_size=size)
    _begin(
        run, run_dir, callbacks, dataclasses.replace(data_cfg, image_size=size), model_cfg, train_cfg, load
    )
    y = {k: labels[idx] for k, idx in split.items()}
    may = may_fine_tune(train_cfg, sum(map(len, split.values())), model)  # the default may fine-tune
    acts = _activations(model, model_cfg, train_cfg, size, load, split, cache_dir, say, progress, may)
    views, info = _features(
        model, model_cfg, size, load, split, cache_dir, say, progress, acts, train_cfg.precision
    )
    head = fit_head(views["train"], y["train"], views["val"], y["val"], len(classes))
    put_head(model, head.weight, head.bias)
    logits = {k: [head.logits(v) for v in views[k]] for k in split}
    scores = {k: score_logits(logits[k], y[k]) for k in split}
    _head_epoch(run, callbacks, scores, head.seconds, len(y["train"]) * 2)
    clip, tuned, choice = head.clip, None, None
    if is_auto(train_cfg):  # the default: the head alone or fine-tuning too, chosen for this folder
        train_cfg, choice = apply_choice(run, run_dir, train_cfg, model_cfg.name, head.val, split, may, say)
    if acts is not None and train_cfg.fine_tune:
        tuned = _fine_tune(model, head, acts, y, train_cfg, callbacks, run, say)
        if tuned.chosen:
            logits = tuned.logits
            scores = {k: score_logits(logits[k], y[k]) for k in split}
            info["frozen"] = False  # the backbone changed: evaluate must run the network, not reuse features
            two = len(classes) == 2 and len(y["val"])  # the Kaggle clip: chosen again, for these weights
            clip = choose_clip(mean_proba(logits["val"])[:, 1], y["val"]) if two else None
    metrics = _metrics(head, scores, info, logits["test"], y["test"], clip)
    if tuned is not None:
        metrics |= {"fine_tune": tuned.info, "epoch": 1 + tuned.info["best_epoch"]}
    if choice is not None:
        metrics["choice"] = choice.record()
    unknown, known = known_photos(
        model, model_cfg.name, views, y, classes, logits["test"][0], acts, tuned is not None and tuned.chosen,
        train_cfg.unknown_coverage,
    )  # fmt: skip
    metrics |= known
    best = None
    if run_dir is not None:
        spec = input_spec("photos", 3, size, IMAGENET_MEAN, IMAGENET_STD, "crop")
        best = save_checkpoint(
            run_dir / "best.pt", model, model_name=model_cfg.name, model_kwargs=_sizes(model_cfg),
            classes=classes, input_spec=spec, metrics=metrics, config=run.config, dataset=data_cfg.dataset,
            extra={"unknown": unknown} if unknown else None,
        )  # fmt: skip
    say(_result_line(head, scores["val"], scores["test"], tuned is not None and tuned.chosen))
    metrics["seconds"] = round(time.perf_counter() - start, 2)
    run.metrics = {"run_dir": str(run_dir) if run_dir else None, "checkpoint": str(best) if best else None}
    run.metrics |= metrics
    run.checkpoint = best
    # the report's evaluation reuses them: a fine-tuned network need not run over the test photos again
    run.test_logits = torch.from_numpy(np.ascontiguousarray(logits["test"][0]))
    callbacks.on_train_end(run)
    return run


def _begin(run, run_dir, callbacks, data_cfg, model_cfg, train_cfg, load) -> None:
    """config.json, skipped_files.txt, then the callbacks' on_train_begin."""
    run.config = to_dict(data=data_cfg, model=model_cfg, train=train_cfg)
    if run_dir is not None:
        write_json(run_dir / "config.json", run.config)
        _list_skipped(run_dir, load.skipped)
    callbacks.on_train_begin(run)


def _head_epoch(run, callbacks, scores: dict, seconds: float, images: int) -> None:
    """The head's fit as the run's first epoch (metrics.csv, the epoch line). It is one L-BFGS solve,
    not a series of steps: no step rows (step 0), so its epoch row is its one point on the curves."""
    train, val = scores["train"], scores["val"]
    held = (val["loss"], val["accuracy"]) if val else None
    run.history = [epoch_row(1, (train["loss"], train["accuracy"]), held, 0.0, seconds, images, 0)]
    callbacks.on_epoch_end(1, run.history[0])


def _activations(model, model_cfg, train_cfg, size, load, split, cache_dir, say, progress, may=False):
    """--fine-tune (or ``may``: the default may choose it): what the first thawed block receives,
    cached; None otherwise."""
    if not (train_cfg.fine_tune or may):
        return None
    start = model.thaw_last(train_cfg.fine_tune_blocks)
    params = _params(model_cfg, size, train_cfg.precision)
    return prefix_activations(model, start, params, load, split, cache_dir, say, progress)


def _fine_tune(model, head, acts, y, train_cfg, callbacks, run, say):
    """--fine-tune: the last blocks trained on cached activations (``training/transfer/fine_tune.py``)."""

    def on_epoch(row: dict) -> None:
        run.history.append(row)
        callbacks.on_epoch_end(row["epoch"], row)

    def on_step(row: dict) -> None:  # steps.csv: every k steps of the fine-tuning
        run.steps.append(row)
        callbacks.on_step_log(row["step"], row)

    return fine_tune(model, head, acts, y, train_cfg, say=say, on_epoch=on_epoch, on_step=on_step)


def _sizes(model_cfg: ModelConfig) -> dict:
    return {"num_classes": model_cfg.num_classes, "in_channels": 3, "image_size": model_cfg.image_size}


def _params(model_cfg: ModelConfig, size: int, precision: str = "fp32") -> dict:
    """What made the features: the cache entry's name (datasets/features.py). bf16 features get an
    entry of their own; float32 ones keep the name they always had."""
    params = feature_params(model_cfg.name, model_cfg.weights, size)
    return params | ({"precision": precision} if precision != "fp32" else {})


def _parts(model, model_cfg, size: int, precision: str) -> list[tuple]:
    """(network, cache params) of each backbone the head reads: the model, or each of a LiteTrio's
    members (cached as that backbone alone, so lite2's features serve the trio and lite2 alike)."""
    names = getattr(model, "member_names", None)
    if names is None or model_cfg.weights:
        return [(model, _params(model_cfg, size, precision))]
    return [
        (m, _params(dataclasses.replace(model_cfg, name=n), size, precision))
        for m, n in zip(model.members, names)
    ]


def _features(
    model, model_cfg, size, load, split, cache_dir, say, progress, acts=None, precision="fp32"
) -> tuple[dict, dict]:
    """{split: [photo features, mirror features]} for train, val and test, and what to record of them.
    With --fine-tune's ``acts``, missing features come from them (the frozen blocks ran already)."""
    parts = _parts(model, model_cfg, size, precision)
    used = np.concatenate(list(split.values()))
    paths = load.paths()
    compute = None if acts is None else (lambda positions: features_from(model, acts, positions))
    feats = side_by_side([
        cached_features(
            net, params, load.images, [paths[i] for i in used], IMAGENET_MEAN, IMAGENET_STD,
            load.listing.root, cache_dir=cache_dir, say=say, progress=progress, index=used, compute=compute,
        ) for net, params in parts
    ])  # fmt: skip
    params = parts[0][1] if len(parts) == 1 else {"members": [p for _, p in parts]}
    views = by_split(feats.views, split)
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


def _metrics(head, scores: dict, features: dict, test_logits, y_test, clip) -> dict:
    """What the checkpoint and ``--json`` report: validation and test scores, the calibration chosen."""
    val, test, train = scores["val"], scores["test"], scores["train"]
    calibration = {"temperature": round(head.temperature, 4), "l2": head.l2, "chosen_on": "validation"}
    if clip is not None:
        calibration["clip"] = clip
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
        if clip is not None:  # what `nnzero submit --tta` would score on these photos
            metrics["test_log_loss_submit"] = clipped_nll(mean_proba(test_logits)[:, 1], y_test, clip)
    return metrics


def _list_skipped(run_dir: Path, skipped: list) -> None:
    """Files of the data folder that could not be decoded, one per line with why (skipped_files.txt)."""
    if skipped:
        lines = "".join(f"{f}\t{why}\n" for f, why in skipped)
        (run_dir / "skipped_files.txt").write_text(lines, encoding="utf-8")


def _result_line(head, val: dict, test: dict, fine_tuned: bool) -> str:
    line = tr(
        "head: logistic regression, L2 {l2:g} and temperature {t:.3f} chosen on validation ({s:.1f} s)",
        "分类层: 逻辑回归, L2 {l2:g} 与温度 {t:.3f} 在验证集上选定 ({s:.1f} 秒)",
        l2=head.l2,
        t=head.temperature,
        s=head.seconds,
    )
    if fine_tuned:
        line += tr("; then fine-tuned", "; 然后微调")
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
