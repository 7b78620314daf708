"""`nnzero scratch train`: MNIST with the NumPy engine; parses, calls ``nnzero.scratch.fit``, prints.

Torch is never imported here: the whole run is NumPy (see ``nnzero/scratch/fit.py``).
"""

from __future__ import annotations

from nnzero.commands._common import add_command, add_dry_run, add_json, add_log_every, emit_json, say
from nnzero.i18n import tr

## The flags that are settings of nnzero.scratch.fit, by the same names.
FLAGS = ("epochs", "batch_size", "optimizer", "lr", "schedule", "weight_decay", "seed", "dtype", "limit")
FLAGS += ("data_dir", "hidden", "log_every")


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
            "nnzero scratch train fsdd --model lenet --data-dir data/fsdd",
        ],
        run_train,
    )
    p.add_argument(
        "dataset",
        choices=("mnist", "fashion-mnist", "fsdd"),
        help=tr(
            "what to train on (fsdd: spoken digits as 32x32 log-mel pictures)",
            "训练数据 (fsdd: 以 32x32 对数梅尔图表示的英文数字语音)",
        ),
    )
    p.add_argument(
        "--model", choices=MODELS, default="mlp", help=tr("the network (default mlp)", "网络 (默认 mlp)")
    )
    p.add_argument("--hidden", help=tr("mlp hidden sizes, e.g. 256,128", "mlp 的隐藏层大小, 如 256,128"))
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
    p.add_argument("--seed", type=int, help=tr("seeds weights and shuffling", "权重和打乱顺序的随机种子"))
    p.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        help=tr("number type of weights and data", "权重和数据的数值类型"),
    )
    p.add_argument(
        "--limit", type=int, help=tr("use only the first N training images", "只用前 N 张训练图像")
    )
    p.add_argument(
        "--data-dir",
        help=tr(
            "folder with the IDX files (MNIST: the shipped copy), or FSDD's folder",
            "IDX 文件所在目录 (MNIST: 使用自带的数据), 或 FSDD 的目录",
        ),
    )
    add_log_every(p)
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


def run_train(args) -> int:
    from nnzero.scratch.fitting import fit

    run = fit(
        args.model,
        args.dataset,
        name=args.name,
        runs_dir=args.runs_dir,
        progress=not (args.quiet or args.json),
        explain=args.explain,
        dry_run=args.dry_run,
        say=lambda message: say(args, message),
        **{flag: getattr(args, flag) for flag in FLAGS},
    )
    if args.json:
        emit_json(run.metrics)
    else:
        say(
            args,
            tr(
                "test accuracy {a:.4f} ({s:.0f} s); network: {c}",
                "测试准确率 {a:.4f} ({s:.0f} 秒); 网络: {c}",
                a=run.test_accuracy,
                s=run.metrics["seconds"],
                c=run.checkpoint or "-",
            ),
        )
    return 0
