"""``nnzero.scratch.fit``: a whole run of the NumPy engine, into the same run folders as ``nnzero.train``.

    run = nnzero.scratch.fit("lenet", epochs=2)    # = nnzero scratch train mnist --model lenet --epochs 2
    run.test_accuracy, run.history, run.dir / "model.npz"

Torch is never imported: the whole run is NumPy. The run folder gets config.json, metrics.csv,
tensorboard/, curves.png (the same callbacks as the PyTorch trainer's), model.npz (the network
and what it reached), weights.png for softmax and mlp, and explain.txt with ``explain=True``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from nnzero.callbacks import CallbackList, default_callbacks, epoch_row, log_every, step_row
from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.progress import Progress
from nnzero.run import Run
from nnzero.rundir import new_run_dir, write_json
from nnzero.scratch.losses import SoftmaxCrossEntropy
from nnzero.scratch.optimizers import OPTIMIZERS
from nnzero.scratch.trainer import TrainingDiverged, evaluate, lr_at, normalise, train_epoch
from nnzero.scratch.zoo import MODELS, SOUND_DEFAULTS, TRAIN_DEFAULTS, build

## Settings by the names of `nnzero scratch train`'s flags; the model's defaults fill what is not given.
TRAINING = ("epochs", "batch_size", "optimizer", "lr", "schedule", "weight_decay")
OTHER = {"seed": 0, "dtype": "float32", "limit": None, "data_dir": None, "hidden": "128", "patience": 0}
OTHER |= {"log_every": 0}  # steps between the rows of steps.csv; 0: chosen so that a run has 50-125


def resolve_settings(model: str = "mlp", dataset: str = "mnist", **settings) -> dict:
    """The model's training defaults (for FSDD, its own), then ``settings`` (None means "not given");
    unknown names fail."""
    if model not in MODELS:
        raise NnzeroError(
            tr(
                "unknown model {m!r}; choose one of {k}",
                "未知的模型 {m!r}; 可选: {k}",
                m=model,
                k=", ".join(MODELS),
            )
        )
    unknown = set(settings) - set(TRAINING) - set(OTHER)
    if unknown:
        raise NnzeroError(
            tr(
                "unknown setting(s) {u}; known: {k}",
                "未知的设置 {u}; 可用的有: {k}",
                u=", ".join(sorted(unknown)),
                k=", ".join([*TRAINING, *OTHER]),
            )
        )
    chosen = {**TRAIN_DEFAULTS[model], **(SOUND_DEFAULTS[model] if dataset == "fsdd" else {}), **OTHER}
    chosen |= {k: v for k, v in settings.items() if v is not None}
    if not isinstance(chosen["log_every"], int) or chosen["log_every"] < 0:
        raise NnzeroError(
            tr(
                "log_every must be a whole number >= 0 (0: chosen for the run), got {v!r}",
                "log_every 必须是 >= 0 的整数 (0: 自动选择), 而不是 {v!r}",
                v=chosen["log_every"],
            )
        )
    if chosen["optimizer"] not in OPTIMIZERS:
        raise NnzeroError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {chosen['optimizer']!r}")
    if isinstance(chosen["hidden"], (list, tuple)):
        chosen["hidden"] = ",".join(str(h) for h in chosen["hidden"])
    return chosen


def load_data(dataset: str, data_dir, limit, dtype, test_limit: int | None = None):
    """(x, y, test x, test y, classes, input spec): normalised float arrays (N, 1, S, S) and labels."""
    from nnzero.datasets.base import input_spec
    from nnzero.datasets.mnist import known_dataset, load_arrays

    if dataset == "fsdd":
        return _sound_data(dataset, data_dir, limit, dtype, test_limit)

    ds = known_dataset(dataset)
    (images, labels), (test_images, test_labels) = (
        load_arrays(s, dataset, data_dir) for s in ("train", "test")
    )
    if limit:
        images, labels = images[:limit], labels[:limit]
    if test_limit:
        test_images, test_labels = test_images[:test_limit], test_labels[:test_limit]
    kind = "digits" if dataset == "mnist" else "items"
    spec = input_spec(kind, 1, images.shape[1], [ds.mean], [ds.std])
    x, xt = normalise(images, ds.mean, ds.std, dtype), normalise(test_images, ds.mean, ds.std, dtype)
    return x, labels, xt, test_labels, list(ds.classes), spec


def _sound_data(dataset: str, data_dir, limit, dtype, test_limit: int | None):
    """FSDD's log-mel pictures (FSDD's convention: takes 0-4 tested), normalised as the digits are."""
    from nnzero.config import DataConfig
    from nnzero.datasets.sounds import load_sounds

    ## a sound is a picture too: the same engine, the same LeNet, 32x32 log-mel pictures instead of digits
    cfg = DataConfig(dataset=dataset, data_dir=data_dir)
    train, test = load_sounds(cfg, "train"), load_sounds(cfg, "test")
    train = train.subset(np.random.default_rng(0).permutation(len(train))[:limit]) if limit else train
    test = test.subset(np.arange(min(len(test), test_limit or len(test))))
    mean, std = train.mean[0], train.std[0]
    x, xt = normalise(train.images[:, 0], mean, std, dtype), normalise(test.images[:, 0], mean, std, dtype)
    return x, train.labels, xt, test.labels, list(train.classes), train.input_spec()


def fit(
    model: str = "mlp",
    dataset: str = "mnist",
    *,
    name: str | None = None,
    runs_dir: str | Path = "runs",
    callbacks=(),
    progress: bool = True,
    explain: bool = False,
    dry_run: bool = False,
    say=print,
    **settings,
) -> Run:
    """Train the NumPy ``model`` (softmax, mlp, lenet) on ``dataset``; returns the ``Run``.

    ``settings``: epochs, batch_size, optimizer, lr, schedule, weight_decay, seed, dtype, limit,
    data_dir, hidden ("256,128" or a list), patience, log_every. A dry run trains one batch into a
    temporary folder and keeps nothing.
    """
    start = time.perf_counter()
    cfg = resolve_settings(model, dataset, **settings)
    if dry_run:
        cfg["epochs"] = 1
    dtype = np.dtype(cfg["dtype"])
    *data, classes, spec = load_data(dataset, cfg["data_dir"], cfg["limit"], dtype, 500 if dry_run else None)
    cfg["log_every"] = log_every(cfg["epochs"] * _steps(len(data[0]), cfg, dry_run), cfg["log_every"])
    hidden = tuple(int(h) for h in str(cfg["hidden"]).split(",") if h)
    net = build(
        model,
        dtype=dtype,
        seed=cfg["seed"],
        hidden=hidden,
        classes=len(classes),
        image_size=data[0].shape[-1],
    )
    opt = OPTIMIZERS[cfg["optimizer"]](net.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    if dry_run:
        run_dir = Path(tempfile.mkdtemp(prefix="nnzero-dry-run-"))
    else:
        run_dir = new_run_dir(runs_dir, name, f"{dataset}-scratch", model)
    config = {
        "engine": "scratch",
        "data": {"dataset": dataset, "data_dir": cfg["data_dir"], "limit": cfg["limit"]},
        "model": {"name": model, "hidden": list(hidden) if model == "mlp" else None},
        "train": {k: v for k, v in cfg.items() if k not in ("data_dir", "limit", "hidden")},
        "architecture": net.architecture(),
    }
    write_json(run_dir / "config.json", config)
    net.meta = {"model": model, "dataset": dataset, "classes": classes, "input_spec": spec, "config": config}
    say(_start_line(model, net, data, cfg))
    run = Run(run_dir, config=config, engine="scratch", dry_run=dry_run)
    hooks = CallbackList([*default_callbacks(cfg["patience"], say, held_out="test"), *callbacks])
    try:
        _train(run, hooks, net, opt, data, cfg, progress)
        run.metrics = _finish(run, net, opt, model, data, classes, cfg, explain, say)
        run.metrics["seconds"] = round(time.perf_counter() - start, 2)
        hooks.on_train_end(run)
    finally:
        if dry_run:
            shutil.rmtree(run_dir, ignore_errors=True)
            run.dir = run.checkpoint = None
            run.metrics |= {"run_dir": None, "checkpoint": None, "weights_png": None}
    return run


def _start_line(model, net, data, cfg) -> str:
    hidden = ("hidden",) if model != "mlp" else ()
    shown = {
        k: v for k, v in cfg.items() if k not in ("data_dir", "limit", "patience", *hidden) and v is not None
    }
    return tr(
        "{model}: {n:,} parameters; {t:,} training and {v:,} test images; settings: {s}",
        "{model}: {n:,} 个参数; 训练图像 {t:,} 张, 测试图像 {v:,} 张; 设置: {s}",
        model=model,
        n=net.num_parameters(),
        t=len(data[0]),
        v=len(data[2]),
        s=", ".join(f"{k}={v}" for k, v in shown.items()),
    )


def _steps(n: int, cfg: dict, dry_run: bool) -> int:
    """Steps per epoch (a dry run: one)."""
    return 1 if dry_run else -(-n // cfg["batch_size"])


def _train(run: Run, hooks: CallbackList, net, opt, data, cfg, progress: bool) -> None:
    x, y, xt, yt = data
    steps = _steps(len(x), cfg, run.dry_run)
    rng, loss_fn = np.random.default_rng(cfg["seed"]), SoftmaxCrossEntropy()
    hooks.on_train_begin(run)
    for epoch in range(1, cfg["epochs"] + 1):
        bar = Progress(steps, f"epoch {epoch}/{cfg['epochs']}", progress, unit="batch")
        t = time.perf_counter()
        try:
            loss, acc = train_epoch(
                net, loss_fn, opt, x, y, cfg["batch_size"], rng,
                lambda s: lr_at(s, cfg["epochs"] * steps, cfg["lr"], cfg["schedule"]),
                lambda b, batch_loss, show=bar.update: show(b + 1, loss=batch_loss),
                1 if run.dry_run else None,
                cfg["log_every"], _step_logger(run, hooks, (epoch - 1) * steps, steps),
            )  # fmt: skip
        except TrainingDiverged as e:
            if run.dry_run:
                raise
            path = net.save(run.dir / "model.npz")
            raise NnzeroError(f"{e} " + tr("Last good weights: {p}", "最后的有效权重: {p}", p=path)) from e
        seconds = time.perf_counter() - t
        bar.update(steps, final=True, loss=loss)
        test_loss, test_acc = evaluate(net, loss_fn, xt, yt)
        ## The val columns hold the test set: nothing is chosen by them (the last epoch's
        ## weights are kept), so the test score stays an honest estimate.
        images = min(len(x), cfg["batch_size"] * steps)
        row = epoch_row(epoch, (loss, acc), (test_loss, test_acc), opt.lr, seconds, images, epoch * steps)
        run.history.append(row)
        net.meta["metrics"] = {
            "epoch": epoch, "train_loss": loss, "train_accuracy": acc,
            "test_loss": test_loss, "test_accuracy": test_acc,
        }  # fmt: skip
        net.save(run.dir / "model.npz")
        hooks.on_epoch_end(epoch, row)
        if run.stop_training:
            break


def _step_logger(run: Run, hooks: CallbackList, before: int, per_epoch: int):
    """``on_step`` for ``train_epoch``: a step row into ``run.steps`` and the callbacks."""

    def on_step(done: int, loss_sum: float, correct: int, seen: int, lr: float) -> None:
        step = before + done
        row = step_row(step, step / per_epoch, loss_sum / seen, correct / seen, lr)
        run.steps.append(row)
        hooks.on_step_log(step, row)

    return on_step


def _finish(run: Run, net, opt, model, data, classes, cfg, explain: bool, say) -> dict:
    """weights.png, explain.txt, and the final metrics (what --json prints)."""
    from nnzero.scratch.weight_maps import first_layer_maps

    run.checkpoint = run.dir / "model.npz"
    pictures = first_layer_maps(net, model, run.dir, classes)
    if explain:
        from nnzero.scratch.explain import explain as walk_through

        xt, yt = data[2:]
        lines = walk_through(net, xt[:1], int(yt[0]), opt, classes, lr=cfg["lr"])
        (run.dir / "explain.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        say("\n".join(lines))
    return {
        "run_dir": str(run.dir),
        "checkpoint": str(run.checkpoint),
        "weights_png": pictures,
        "model": model,
        "parameters": net.num_parameters(),
        **net.meta["metrics"],
        "dry_run": run.dry_run,
    }
