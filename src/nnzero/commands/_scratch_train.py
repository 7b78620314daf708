"""`nnzero scratch train`: MNIST with the NumPy engine, into the same run folders as `nnzero train`.

Torch is never imported here: the whole run is NumPy. The run folder gets config.json,
metrics.csv, tensorboard/, curves.png, model.npz (the network and what it reached),
weights.png for softmax and mlp, and explain.txt with --explain.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnzero.commands._common import add_command, add_dry_run, add_json, emit_json, say
from nnzero.errors import NnzeroError
from nnzero.i18n import tr

FLAGS = ("epochs", "batch_size", "optimizer", "lr", "schedule", "weight_decay")


def register_train(inner) -> None:
    from nnzero.scratch.optimizers import OPTIMIZERS
    from nnzero.scratch.zoo import MODELS

    p = add_command(
        inner,
        "train",
        "train softmax regression, an MLP or LeNet-5 written in NumPy; writes runs/<name>/",
        "训练用 NumPy 手写的 softmax 回归、MLP 或 LeNet-5; 结果写入 runs/<名称>/",
        [
            "nnzero scratch train mnist --model softmax",
            "nnzero scratch train mnist --model mlp --explain",
            "nnzero scratch train mnist --model lenet --name lenet-by-hand --json",
        ],
        run_train,
    )
    p.add_argument("dataset", choices=("mnist", "fashion-mnist"), help=tr("what to train on", "训练数据"))
    p.add_argument(
        "--model", choices=MODELS, default="mlp", help=tr("the network (default mlp)", "网络 (默认 mlp)")
    )
    p.add_argument(
        "--hidden", default="128", help=tr("mlp hidden sizes, e.g. 256,128", "mlp 的隐藏层大小, 如 256,128")
    )
    p.add_argument("--epochs", type=int, help=tr("passes over the training set", "训练轮数"))
    p.add_argument("--batch-size", type=int, help=tr("images per step", "每步图像数"))
    p.add_argument(
        "--optimizer",
        choices=tuple(OPTIMIZERS),
        help=tr("update rule (default adam)", "更新规则 (默认 adam)"),
    )
    p.add_argument("--lr", type=float, help=tr("(peak) learning rate", "(最大) 学习率"))
    p.add_argument(
        "--schedule", choices=("constant", "cosine"), help=tr("learning-rate schedule", "学习率调度")
    )
    p.add_argument("--weight-decay", type=float, help=tr("L2 pull towards 0", "L2 权重衰减"))
    p.add_argument(
        "--seed", type=int, default=0, help=tr("seeds weights and shuffling", "权重和打乱顺序的随机种子")
    )
    p.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        default="float32",
        help=tr("number type of weights and data", "权重和数据的数值类型"),
    )
    p.add_argument(
        "--limit", type=int, help=tr("use only the first N training images", "只用前 N 张训练图像")
    )
    p.add_argument(
        "--data-dir", help=tr("folder with the IDX files (MNIST: the shipped copy)", "IDX 文件所在目录")
    )
    p.add_argument("--name", help=tr("run folder name (default dataset-scratch-model-time)", "运行目录名"))
    p.add_argument("--runs-dir", default="runs", help=tr("where run folders go", "运行目录的位置"))
    p.add_argument(
        "--explain",
        action="store_true",
        help=tr(
            "walk one test image through the trained network, with numbers",
            "用具体数字演示一张测试图像如何通过训练好的网络",
        ),
    )
    p.add_argument("--quiet", action="store_true", help=tr("no progress bar", "不显示进度条"))
    add_json(p)
    add_dry_run(p)


class _Bar:
    """One line on stderr, redrawn in place on a terminal; silent otherwise."""

    def __init__(self, total: int, label: str, enabled: bool):
        self.total, self.label, self.enabled = total, label, enabled and sys.stderr.isatty()
        self.start = self.last = time.perf_counter()

    def __call__(self, batch: int, loss: float, final: bool = False) -> None:
        now = time.perf_counter()
        if self.enabled and (final or now - self.last > 0.2):
            self.last, done = now, batch + 1
            bar = "#" * (24 * done // self.total)
            print(
                f"\r{self.label} [{bar:.<24}] {done}/{self.total} loss {loss:.4f} "
                f"{done / (now - self.start):.0f} batch/s",
                end="\n" if final else "",
                file=sys.stderr,
                flush=True,
            )


def settings(args) -> dict:
    """The model's defaults, then what the user typed."""
    from nnzero.scratch.zoo import TRAIN_DEFAULTS

    chosen = dict(TRAIN_DEFAULTS[args.model])
    typed = {k: getattr(args, k) for k in FLAGS if getattr(args, k) is not None}
    if args.dry_run:
        typed["epochs"] = 1
    return {**chosen, **typed, "seed": args.seed, "dtype": args.dtype}


def _data(args, dtype):
    from nnzero.datasets.mnist import known_dataset, load_arrays
    from nnzero.scratch.trainer import normalise

    ds = known_dataset(args.dataset)
    (images, labels), (test_images, test_labels) = (
        load_arrays(s, args.dataset, args.data_dir) for s in ("train", "test")
    )
    if args.limit:
        images, labels = images[: args.limit], labels[: args.limit]
    if args.dry_run:
        test_images, test_labels = test_images[:500], test_labels[:500]
    spec = {
        "kind": "digits" if args.dataset == "mnist" else "items",
        "channels": 1,
        "size": images.shape[1],
        "mean": [ds.mean],
        "std": [ds.std],
    }
    x, xt = normalise(images, ds.mean, ds.std, dtype), normalise(test_images, ds.mean, ds.std, dtype)
    return x, labels, xt, test_labels, list(ds.classes), spec


def _pictures(net, model: str, run_dir: Path, classes: list[str]) -> str | None:
    """weights.png: the ten digit maps of softmax, or the first layer's units of an mlp."""
    if model not in ("softmax", "mlp"):
        return None
    from nnzero.evaluation.weight_maps import plot_weight_maps

    W = net.layers[1].params["W"]  # (784, units): layer 0 is Flatten
    if model == "softmax":
        titles, title = (
            classes,
            tr(
                "weight of every pixel for every class (red +, blue -)",
                "每个像素对每个类别的权重 (红 +, 蓝 -)",
            ),
        )
    else:
        W = W[:, :128]
        titles, title = (
            [str(j) for j in range(W.shape[1])],
            tr("first-layer units (red +, blue -)", "第一层的神经元 (红 +, 蓝 -)"),
        )
    return str(
        plot_weight_maps(
            W, run_dir / "weights.png", titles, cols=10 if model == "softmax" else 16, title=title
        )
    )


@dataclass
class _Run:
    """Everything one training run holds."""

    args: argparse.Namespace
    cfg: dict
    data: tuple  # x, y, test x, test y (normalised float arrays and int labels)
    classes: list[str]
    net: object
    opt: object
    run_dir: Path
    temporary: bool
    log: object

    @property
    def steps(self) -> int:
        return 1 if self.args.dry_run else -(-len(self.data[0]) // self.cfg["batch_size"])


def _start(args) -> _Run:
    from nnzero.scratch import OPTIMIZERS
    from nnzero.scratch.zoo import build
    from nnzero.training.logging import RunLog
    from nnzero.training.rundir import new_run_dir, write_json

    cfg = settings(args)
    hidden = tuple(int(h) for h in args.hidden.split(",") if h)
    *data, classes, spec = _data(args, np.dtype(cfg["dtype"]))
    net = build(args.model, dtype=np.dtype(cfg["dtype"]), seed=args.seed, hidden=hidden, classes=len(classes))
    opt = OPTIMIZERS[cfg["optimizer"]](net.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    if args.dry_run:
        run_dir = Path(tempfile.mkdtemp(prefix="nnzero-dry-run-"))
    else:
        run_dir = new_run_dir(args.runs_dir, args.name, f"{args.dataset}-scratch", args.model)
    config = {
        "engine": "scratch",
        "data": {"dataset": args.dataset, "data_dir": args.data_dir, "limit": args.limit},
        "model": {"name": args.model, "hidden": list(hidden) if args.model == "mlp" else None},
        "train": cfg,
        "architecture": net.architecture(),
    }
    write_json(run_dir / "config.json", config)
    net.meta = {
        "model": args.model,
        "dataset": args.dataset,
        "classes": classes,
        "input_spec": spec,
        "config": config,
    }
    say(
        args,
        tr(
            "{model}: {n:,} parameters; {t:,} training and {v:,} test images; settings: {s}",
            "{model}: {n:,} 个参数; 训练图像 {t:,} 张, 测试图像 {v:,} 张; 设置: {s}",
            model=args.model,
            n=net.num_parameters(),
            t=len(data[0]),
            v=len(data[2]),
            s=", ".join(f"{k}={v}" for k, v in cfg.items()),
        ),
    )
    return _Run(args, cfg, tuple(data), classes, net, opt, run_dir, args.dry_run, RunLog(run_dir))


def _epoch(run: _Run, epoch: int, rng: np.random.Generator) -> dict:
    """Train one epoch, test, log and save; the metrics.csv row."""
    from nnzero.scratch import SoftmaxCrossEntropy
    from nnzero.scratch.trainer import TrainingDiverged, evaluate, lr_at, train_epoch

    args, cfg, (x, y, xt, yt) = run.args, run.cfg, run.data
    loss_fn, epochs = SoftmaxCrossEntropy(), cfg["epochs"]
    bar = _Bar(run.steps, f"epoch {epoch}/{epochs}", not (args.quiet or args.json))
    t = time.perf_counter()
    try:
        loss, acc = train_epoch(
            run.net,
            loss_fn,
            run.opt,
            x,
            y,
            cfg["batch_size"],
            rng,
            lambda s: lr_at(s, epochs * run.steps, cfg["lr"], cfg["schedule"]),
            bar,
            run.steps if args.dry_run else None,
        )
    except TrainingDiverged as e:
        if run.temporary:
            raise
        path = run.net.save(run.run_dir / "model.npz")
        raise NnzeroError(f"{e} " + tr("Last good weights: {p}", "最后的有效权重: {p}", p=path)) from e
    seconds = time.perf_counter() - t
    bar(run.steps - 1, loss, final=True)
    test_loss, test_acc = evaluate(run.net, loss_fn, xt, yt)
    ## The val columns hold the test set: nothing is chosen by them (the last epoch's
    ## weights are kept), so the test score stays an honest estimate.
    row = {
        "epoch": epoch,
        "train_loss": loss,
        "train_accuracy": acc,
        "val_loss": test_loss,
        "val_accuracy": test_acc,
        "lr": run.opt.lr,
        "seconds": round(seconds, 3),
        "images_per_s": round(min(len(x), cfg["batch_size"] * run.steps) / seconds, 1),
    }
    run.log.log_epoch(row)
    say(
        args,
        tr(
            "epoch {e}/{n} | loss {l:.4f} acc {a:.4f} | test loss {tl:.4f} test acc {ta:.4f} | {s:.1f} s",
            "第 {e}/{n} 轮 | 损失 {l:.4f} 准确率 {a:.4f} | 测试损失 {tl:.4f} 测试准确率 {ta:.4f} | {s:.1f} 秒",
            e=epoch,
            n=epochs,
            l=loss,
            a=acc,
            tl=test_loss,
            ta=test_acc,
            s=seconds,
        ),
    )
    run.net.meta["metrics"] = {
        "epoch": epoch,
        "train_loss": loss,
        "train_accuracy": acc,
        "test_loss": test_loss,
        "test_accuracy": test_acc,
    }
    run.net.save(run.run_dir / "model.npz")
    return row


def run_train(args) -> int:
    start = time.perf_counter()
    run = _start(args)
    rng = np.random.default_rng(args.seed)
    try:
        for epoch in range(1, run.cfg["epochs"] + 1):
            _epoch(run, epoch, rng)
        run.log.plot()
        pictures = _pictures(run.net, args.model, run.run_dir, run.classes)
        if args.explain:
            from nnzero.scratch.explain import explain

            xt, yt = run.data[2:]
            lines = explain(run.net, xt[:1], int(yt[0]), run.opt, run.classes, lr=run.cfg["lr"])
            (run.run_dir / "explain.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
            say(args, "\n".join(lines))
    finally:
        run.log.close()
        if run.temporary:
            shutil.rmtree(run.run_dir, ignore_errors=True)
    kept = not run.temporary
    metrics = run.net.meta["metrics"]
    result = {
        "run_dir": str(run.run_dir) if kept else None,
        "checkpoint": str(run.run_dir / "model.npz") if kept else None,
        "weights_png": pictures if kept else None,
        "model": args.model,
        "parameters": run.net.num_parameters(),
        **metrics,
        "seconds": round(time.perf_counter() - start, 2),
        "dry_run": bool(args.dry_run),
    }
    if args.json:
        emit_json(result)
    else:
        say(
            args,
            tr(
                "test accuracy {a:.4f} ({s:.0f} s); network: {c}",
                "测试准确率 {a:.4f} ({s:.0f} 秒); 网络: {c}",
                a=metrics["test_accuracy"],
                s=result["seconds"],
                c=result["checkpoint"] or "-",
            ),
        )
    return 0
