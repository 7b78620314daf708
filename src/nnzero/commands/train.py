"""`nnzero train`: train a registered model on MNIST, Fashion-MNIST, an image folder or photos.

nnzero train mnist                                   # default CNN, ~2 minutes on a laptop CPU
nnzero train mnist --model mlp128 --epochs 5         # the course's Keras model
nnzero train mnist --dataset fashion-mnist --data-dir DIR
nnzero train imagefolder --data-dir mnist_images --model mlp256
nnzero train catsdogs --data-dir DIR                 # cats vs dogs photos, residual CNN from scratch
nnzero train catsdogs --data-dir DIR --model efficientnet_lite0 --freeze-backbone
nnzero train photos --data-dir DIR                   # your own classes: transfer learning in minutes
nnzero train mnist --resume runs/NAME                # continue after Ctrl-C
nnzero train mnist --dry-run                         # one batch, seconds, writes nothing
nnzero train mnist --nproc 2                         # data-parallel, 2 processes (docs/distributed.md)
torchrun --standalone --nproc_per_node=2 -m nnzero train mnist   # the same through torchrun
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from nnzero.commands._common import add_command, add_dry_run, add_json, emit_json, say
from nnzero.config import (
    CHOICES,
    DataConfig,
    ModelConfig,
    TrainConfig,
    from_dict,
    model_options,
    overridden,
    replace,
)
from nnzero.errors import NnzeroError
from nnzero.i18n import tr

DATASETS = ("mnist", "fashion-mnist", "imagefolder", "catsdogs", "photos")
## photos: your own classes, transfer learning on cached features; catsdogs: the course's case 3, from scratch
DEFAULT_MODEL = {
    "mnist": "cnn",
    "fashion-mnist": "cnn",
    "imagefolder": "cnn",
    "catsdogs": "resnet_small",
    "photos": "efficientnet_lite0",
}
# command-line flag -> (config section, field)
FLAGS = {
    "epochs": ("train", "epochs"),
    "batch_size": ("train", "batch_size"),
    "lr": ("train", "lr"),
    "optimizer": ("train", "optimizer"),
    "schedule": ("train", "schedule"),
    "weight_decay": ("train", "weight_decay"),
    "seed": ("train", "seed"),
    "patience": ("train", "patience"),
    "device": ("train", "device"),
    "label_smoothing": ("train", "label_smoothing"),
    "data_dir": ("data", "data_dir"),
    "val_fraction": ("data", "val_fraction"),
    "limit": ("data", "limit"),
    "image_size": ("data", "image_size"),
    "augment": ("data", "augment"),
    "pretrained": ("model", "pretrained"),
    "weights": ("model", "weights"),
    "freeze_backbone": ("model", "freeze_backbone"),
}


def register(sub) -> None:
    p = add_command(
        sub,
        "train",
        "train a model; writes runs/<name>/ with checkpoints, metrics and curves",
        "训练模型; 结果写入 runs/<名称>/ (检查点、指标、曲线)",
        [
            "nnzero train mnist",
            "nnzero train mnist --model mlp128 --epochs 5 --name keras-mlp",
            "nnzero train imagefolder --data-dir mnist_images",
            "nnzero train catsdogs --data-dir ~/data/dogs-vs-cats/train --name pets",
            "nnzero train catsdogs --data-dir DIR --model efficientnet_lite0",
            "nnzero train photos --data-dir ../shared/data/flowers   # any classes, any layout",
            "nnzero train mnist --resume runs/keras-mlp",
            "nnzero train mnist --nproc 2   # or: torchrun --nproc_per_node=2 -m nnzero train mnist",
        ],
        run,
    )
    p.add_argument("dataset", choices=DATASETS, help=tr("what to train on", "训练数据"))
    p.add_argument(
        "--dataset",
        dest="dataset_override",
        choices=DATASETS[:2],
        help=tr(
            "IDX data set in --data-dir (e.g. fashion-mnist)", "--data-dir 中的 IDX 数据集 (如 fashion-mnist)"
        ),
    )
    p.add_argument(
        "--model",
        help=tr(
            "registered model (see `nnzero models`); default cnn",
            "已注册的模型 (见 `nnzero models`); 默认 cnn",
        ),
    )
    p.add_argument("--epochs", type=int, help=tr("passes over the training set", "训练轮数"))
    p.add_argument("--batch-size", type=int, help=tr("images per step", "每步图像数"))
    p.add_argument("--lr", type=float, help=tr("peak learning rate", "最大学习率"))
    p.add_argument("--optimizer", choices=CHOICES[("train", "optimizer")])
    p.add_argument("--schedule", choices=CHOICES[("train", "schedule")])
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--label-smoothing", type=float)
    p.add_argument("--seed", type=int, help=tr("random seed (weights, shuffling, split)", "随机种子"))
    p.add_argument(
        "--patience",
        type=int,
        help=tr("stop after N epochs without better validation accuracy", "验证准确率 N 轮不提高则提前停止"),
    )
    p.add_argument("--device", help=tr("auto (default), cpu, cuda, mps", "auto (默认), cpu, cuda, mps"))
    p.add_argument(
        "--data-dir",
        help=tr(
            "folder with the data (MNIST: the shipped copy by default)", "数据目录 (MNIST 默认使用自带的数据)"
        ),
    )
    p.add_argument(
        "--val-fraction",
        type=float,
        help=tr("share held out for validation (default 0.1)", "留作验证集的比例 (默认 0.1)"),
    )
    p.add_argument("--limit", type=int, help=tr("use only N training images", "只用 N 张训练图像"))
    p.add_argument("--image-size", type=int, help=tr("resize images to this side", "图像缩放到的边长"))
    p.add_argument(
        "--augment",
        action=_BoolAction,
        nargs=0,
        help=tr("random shifts/rotations (--no-augment: off)", "随机平移/旋转增强 (--no-augment 关闭)"),
    )
    p.add_argument("--no-augment", dest="augment", action=_BoolAction, nargs=0, help="")
    p.add_argument(
        "--pretrained",
        action=_BoolAction,
        nargs=0,
        help=tr(
            "start from ImageNet weights (resnet18/34: downloaded; efficientnet_lite0: on by default)",
            "从 ImageNet 权重开始 (resnet18/34 需下载; efficientnet_lite0 默认开启)",
        ),
    )
    p.add_argument("--no-pretrained", dest="pretrained", action=_BoolAction, nargs=0, help="")
    p.add_argument(
        "--weights", metavar="FILE", help=tr("start from local weights (.pth)", "从本地权重文件 (.pth) 开始")
    )
    p.add_argument(
        "--freeze-backbone",
        action=_BoolAction,
        nargs=0,
        help=tr(
            "train only the classifier of a pretrained model (efficientnet_lite0: on by default; "
            "--no-freeze-backbone fine-tunes every layer)",
            "只训练预训练模型的分类层 (efficientnet_lite0 默认开启; --no-freeze-backbone 微调所有层)",
        ),
    )
    p.add_argument("--no-freeze-backbone", dest="freeze_backbone", action=_BoolAction, nargs=0, help="")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help=tr("any other setting, e.g. --set train.warmup=0.3", "其他设置, 如 --set train.warmup=0.3"),
    )
    p.add_argument("--name", help=tr("run folder name (default dataset-model-time)", "运行目录名"))
    p.add_argument("--runs-dir", default="runs", help=tr("where run folders go", "运行目录的位置"))
    p.add_argument("--resume", metavar="RUN_DIR", help=tr("continue an interrupted run", "继续中断的训练"))
    p.add_argument(
        "--summary", action="store_true", help=tr("print the model's layers first", "先打印模型结构")
    )
    p.add_argument("--quiet", action="store_true", help=tr("no progress bar", "不显示进度条"))
    p.add_argument(
        "--nproc",
        type=int,
        metavar="N",
        help=tr(
            "train data-parallel with N processes on this machine (runs torchrun; see docs/distributed.md)",
            "在本机用 N 个进程数据并行训练 (调用 torchrun; 见 docs/distributed.zh-CN.md)",
        ),
    )
    p.set_defaults(parser=p)  # --nproc rebuilds the command line for its workers from the parser
    add_json(p)
    add_dry_run(p)


class _BoolAction:
    """--augment / --no-augment: the flag's name decides the value (argparse.BooleanOptionalAction, py3.9+ style)."""

    def __new__(cls, option_strings, dest, **kwargs):
        import argparse

        class Flag(argparse.Action):
            def __call__(self, parser, namespace, values, option_string=None):
                setattr(namespace, self.dest, not option_string.startswith("--no-"))

        kwargs.pop("nargs", None)
        return Flag(option_strings, dest, nargs=0, **kwargs)


def build_configs(args) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    """Defaults, then the model's registered defaults, then what the user typed."""
    from nnzero.models import model_entry

    dataset = args.dataset_override or args.dataset
    name = args.model or DEFAULT_MODEL[dataset]
    entry = model_entry(name)
    sections = {"data": DataConfig(dataset=dataset), "model": ModelConfig(name=name), "train": TrainConfig()}
    changes: dict[str, dict] = {"data": {}, "model": {}, "train": {}}
    if dataset in ("catsdogs", "photos"):
        changes["data"]["image_size"] = entry.image_size  # photos are resized to what the model was built for
    for key, value in entry.train_defaults.items():
        section = next(
            s
            for s, cls in (("data", DataConfig), ("model", ModelConfig), ("train", TrainConfig))
            if key in cls.__dataclass_fields__
        )
        changes[section][key] = value
    for flag, (section, key) in FLAGS.items():
        if getattr(args, flag, None) is not None:
            changes[section][key] = getattr(args, flag)
    for item in args.set:
        key, sep, value = item.partition("=")
        section, dot, field = key.partition(".")
        if not sep or not dot or section not in changes:
            raise NnzeroError(
                tr(
                    "--set takes SECTION.KEY=VALUE with SECTION data, model or train; got {x!r}",
                    "--set 的格式是 SECTION.KEY=VALUE (SECTION 为 data/model/train), 而不是 {x!r}",
                    x=item,
                )
            )
        changes[section][field] = value
    return tuple(replace(sections[s], s, **changes[s]) for s in ("data", "model", "train"))


def _describe(data, model, train) -> str:
    changed = {**overridden(data), **overridden(train), "model": model.name, **model_options(model)}
    return tr("settings (differing from defaults): ", "设置 (与默认值不同的): ") + ", ".join(
        f"{k}={v}" for k, v in changed.items()
    )


def run(args) -> int:
    from nnzero.training import distributed

    if args.nproc is not None:
        from nnzero.training.launch import launch_local

        return launch_local(args.parser, args, args.nproc)
    if not distributed.requested():
        return _run(args)
    with distributed.session():  # under torchrun: join the group, leave it even on errors
        return _run(args)


def _run_on_features(args, data, model, train, run_dir, tmp, speak) -> int:
    """A frozen pretrained backbone on photos: cached features and a head fitted in seconds."""
    from nnzero.training.transfer_fit import fit_on_features

    try:
        result = fit_on_features(
            data,
            model,
            train,
            run_dir,
            say=speak,
            progress=not (args.quiet or args.json),
            dry_run=args.dry_run,
        )
        if not args.dry_run:
            from nnzero.evaluation.report import write_report_safely

            write_report_safely(run_dir, say=speak)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.dry_run:
        result |= {"run_dir": None, "checkpoint": None, "dry_run": True}
    return _print_result(args, result)


def _print_result(args, result: dict) -> int:
    if args.json:
        emit_json(result)
    elif "test_accuracy" in result:
        print(
            tr(
                "test accuracy: {a:.4f}  ({s:.0f} s)  checkpoint: {c}",
                "测试准确率: {a:.4f}  ({s:.0f} 秒)  检查点: {c}",
                a=result["test_accuracy"],
                s=result["seconds"],
                c=result["checkpoint"],
            )
        )
    return 0


def _run(args) -> int:
    from nnzero.training import distributed
    from nnzero.training.device import use_all_cores
    from nnzero.training.rundir import new_run_dir, read_json
    from nnzero.training.trainer import Trainer

    where = distributed.place()  # rank 0 of 1 without torchrun
    if distributed.active():
        distributed.use_cores()  # cores / processes on this machine
    else:
        use_all_cores()

    def speak(message: str) -> None:  # only rank 0 prints
        if where.is_main:
            say(args, message)

    if args.resume:
        run_dir = Path(args.resume)
        cfg = from_dict(distributed.on_main(read_json, run_dir / "config.json"))
        data, model, train = cfg["data"], cfg["model"], cfg["train"]
        if args.epochs:
            train = replace(train, "train", epochs=args.epochs)
    else:
        data, model, train = build_configs(args)
        run_dir = None
    if where.world > 1:
        distributed.check_batch(train.batch_size, where.world)
    train = replace(train, "train", world_size=where.world)
    tmp = None
    if args.dry_run:
        if where.is_main:
            tmp = Path(tempfile.mkdtemp(prefix="nnzero-dry-run-"))
            run_dir = tmp / "run"
            run_dir.mkdir()
    elif run_dir is None:
        ## Rank 0 picks (and creates) the run folder; the others learn its name from rank 0.
        run_dir = distributed.on_main(new_run_dir, args.runs_dir, args.name, data.dataset, model.name)
    speak(_describe(data, model, train))
    if distributed.active():
        speak(
            tr(
                "distributed: {n} processes ({b}); global batch {g} = {n} x {l} per process; lr {lr} (global)",
                "分布式: {n} 个进程 ({b}); 全局批大小 {g} = {n} x 每进程 {l}; 学习率 {lr} (全局)",
                n=where.world,
                b=where.backend,
                g=train.batch_size,
                l=train.batch_size // where.world,
                lr=train.lr,
            )
        )
    from nnzero.training.transfer_fit import uses_features

    if uses_features(data, model):
        return _run_on_features(args, data, model, train, run_dir, tmp, speak)
    try:
        trainer = Trainer(
            data,
            model,
            train,
            run_dir,
            say=speak,
            progress=not (args.quiet or args.json),
            dry_run=args.dry_run,
            rank=where.rank,
            world=where.world,
        )
        if args.resume:
            trainer.restore(run_dir / "last.pt")
            speak(
                tr("resuming {run} at epoch {e}", "从第 {e} 轮继续 {run}", run=run_dir, e=trainer.epoch + 1),
            )
        speak(
            tr(
                "device: {d}; {n} training, {v} validation, {t} test images",
                "设备: {d}; 训练 {n} 张, 验证 {v} 张, 测试 {t} 张",
                d=trainer.device,
                n=len(trainer.data.train),
                v=len(trainer.data.val or []),
                t=len(trainer.data.test or []),
            ),
        )
        if args.summary:
            from nnzero.models.summary import format_summary

            speak(
                format_summary(
                    trainer.model, (trainer.model_cfg.in_channels,) + (trainer.model_cfg.image_size,) * 2
                ),
            )
        result = trainer.fit()
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.dry_run:
        result |= {"run_dir": None, "checkpoint": None, "dry_run": True}
    if not where.is_main:
        return 0
    return _print_result(args, result)
