"""`nnzero scratch train`: MNIST with the NumPy engine, into the same run folders as `nnzero train`.

Torch is never imported here: the whole run is NumPy. The run folder gets config.json,
metrics.csv, tensorboard/, curves.png, model.npz (the network and what it reached),
weights.png for softmax and mlp, and explain.txt with --explain.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
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
    p.add_argument("--optimizer", choices=tuple(OPTIMIZERS))
    p.add_argument("--lr", type=float, help=tr("(peak) learning rate", "(最大) 学习率"))
    p.add_argument(
        "--schedule", choices=("constant", "cosine"), help=tr("learning-rate schedule", "学习率调度")
    )
    p.add_argument("--weight-decay", type=float, help=tr("L2 pull towards 0", "L2 权重衰减"))
    p.add_argument(
        "--seed", type=int, default=0, help=tr("seeds weights and shuffling", "权重和打乱顺序的随机种子")
    )
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
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


def run_train(args) -> int:
    from nnzero.scratch import OPTIMIZERS, SoftmaxCrossEntropy
    from nnzero.scratch.trainer import TrainingDiverged, evaluate, lr_at, train_epoch
    from nnzero.scratch.zoo import build
    from nnzero.training.logging import RunLog
    from nnzero.training.rundir import new_run_dir, write_json

    start, cfg = time.perf_counter(), settings(args)
    dtype = np.dtype(cfg["dtype"])
    hidden = tuple(int(h) for h in args.hidden.split(",") if h)
    x, y, xt, yt, classes, spec = _data(args, dtype)
    net = build(args.model, dtype=dtype, seed=args.seed, hidden=hidden, classes=len(classes))
    loss_fn = SoftmaxCrossEntropy()
    opt = OPTIMIZERS[cfg["optimizer"]](net.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    tmp = Path(tempfile.mkdtemp(prefix="nnzero-dry-run-")) if args.dry_run else None
    run_dir = tmp if tmp else new_run_dir(args.runs_dir, args.name, f"{args.dataset}-scratch", args.model)
    config = {
        "engine": "scratch",
        "data": {"dataset": args.dataset, "data_dir": args.data_dir, "limit": args.limit},
        "model": {"name": args.model, "hidden": list(hidden) if args.model == "mlp" else None},
        "train": cfg,
        "architecture": net.architecture(),
    }
    write_json(run_dir / "config.json", config)
    say(
        args,
        tr(
            "{model}: {n:,} parameters; {t:,} training and {v:,} test images; settings: {s}",
            "{model}: {n:,} 个参数; 训练图像 {t:,} 张, 测试图像 {v:,} 张; 设置: {s}",
            model=args.model,
            n=net.num_parameters(),
            t=len(x),
            v=len(xt),
            s=", ".join(f"{k}={v}" for k, v in cfg.items()),
        ),
    )
    steps = -(-len(x) // cfg["batch_size"])
    log, rng, metrics = RunLog(run_dir), np.random.default_rng(args.seed), {}
    net.meta = {
        "model": args.model,
        "dataset": args.dataset,
        "classes": classes,
        "input_spec": spec,
        "config": config,
    }
    try:
        for epoch in range(1, cfg["epochs"] + 1):
            bar = _Bar(
                1 if args.dry_run else steps, f"epoch {epoch}/{cfg['epochs']}", not (args.quiet or args.json)
            )
            t = time.perf_counter()
            try:
                loss, acc = train_epoch(
                    net,
                    loss_fn,
                    opt,
                    x,
                    y,
                    cfg["batch_size"],
                    rng,
                    lambda s: lr_at(s, cfg["epochs"] * steps, cfg["lr"], cfg["schedule"]),
                    bar,
                    1 if args.dry_run else None,
                )
            except TrainingDiverged as e:
                path = None if tmp else net.save(run_dir / "model.npz")
                raise NnzeroError(
                    f"{e} " + (tr("Last good weights: {p}", "最后的有效权重: {p}", p=path) if path else "")
                ) from e
            seconds = time.perf_counter() - t
            bar(steps - 1 if not args.dry_run else 0, loss, final=True)
            test_loss, test_acc = evaluate(net, loss_fn, xt, yt)
            ## The val columns hold the test set: nothing is chosen by them (the last epoch's
            ## weights are kept), so the test score stays an honest estimate.
            row = {
                "epoch": epoch,
                "train_loss": loss,
                "train_accuracy": acc,
                "val_loss": test_loss,
                "val_accuracy": test_acc,
                "lr": opt.lr,
                "seconds": round(seconds, 3),
                "images_per_s": round(
                    min(len(x), cfg["batch_size"] * (1 if args.dry_run else steps)) / seconds, 1
                ),
            }
            log.log_epoch(row)
            say(
                args,
                tr(
                    "epoch {e}/{n} | loss {l:.4f} acc {a:.4f} | test loss {tl:.4f} test acc {ta:.4f} | {s:.1f} s",
                    "第 {e}/{n} 轮 | 损失 {l:.4f} 准确率 {a:.4f} | 测试损失 {tl:.4f} 测试准确率 {ta:.4f} | {s:.1f} 秒",
                    e=epoch,
                    n=cfg["epochs"],
                    l=loss,
                    a=acc,
                    tl=test_loss,
                    ta=test_acc,
                    s=seconds,
                ),
            )
            metrics = {
                "epoch": epoch,
                "train_loss": loss,
                "train_accuracy": acc,
                "test_loss": test_loss,
                "test_accuracy": test_acc,
            }
            net.meta["metrics"] = metrics
            checkpoint = net.save(run_dir / "model.npz")
        log.plot()
        pictures = _pictures(net, args.model, run_dir, classes)
        if args.explain:
            from nnzero.scratch.explain import explain

            lines = explain(net, xt[:1], int(yt[0]), opt, classes, lr=cfg["lr"])
            (run_dir / "explain.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
            say(args, "\n".join(lines))
    finally:
        log.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "run_dir": None if tmp else str(run_dir),
        "checkpoint": None if tmp else str(checkpoint),
        "weights_png": None if tmp else pictures,
        "model": args.model,
        "parameters": net.num_parameters(),
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
