"""`nnzero train`: train a registered model on MNIST, Fashion-MNIST, an image folder, photos or sounds.

nnzero train mnist                                   # default fastcnn, one epoch, ~10 s on a laptop CPU
nnzero train mnist --epochs 10                       # the same model on a longer schedule (lr 5e-3, augmented)
nnzero train mnist --model mlp128 --epochs 5         # the course's Keras model
nnzero train mnist --model deepcnn                   # the most accurate digit model, ~10 min (bf16 where fast)
nnzero train mnist --epochs 10 --precision bf16      # bfloat16 training: ~2x faster steps on CPUs with bf16
nnzero train mnist --model committee                 # 10 networks, probabilities averaged: ~8 min on 2 cores
nnzero train mnist --epochs 10 --members 5 --tta shifts   # any model as a committee, with test-time shifts
nnzero train mnist --dataset fashion-mnist --data-dir DIR
nnzero train imagefolder --data-dir mnist_images --model mlp256
nnzero train catsdogs --data-dir DIR                 # cats vs dogs photos, residual CNN from scratch
nnzero train catsdogs --data-dir DIR --model efficientnet_lite0 --freeze-backbone
nnzero train photos --data-dir DIR                   # chooses (and says why): 3 backbones up to 1,500 photos, else lite2
nnzero train photos --data-dir DIR --fine-tune       # lite2: the head, then the last 2 blocks for 8 epochs, always
nnzero train photos --data-dir DIR --precision bf16  # bfloat16 features (auto: where the CPU has bf16 hardware)
nnzero train fsdd --data-dir DIR                     # spoken digits as log-mel pictures (docs/sound.md)
nnzero train fsdd --data-dir DIR --split speaker:george   # test on a voice never heard in training
nnzero train sounds --data-dir DIR                   # one folder of sound files per class
nnzero train mnist --resume runs/NAME                # continue after Ctrl-C
nnzero train mnist --dry-run                         # one batch, seconds, writes nothing
nnzero train mnist --nproc 2                         # data-parallel, 2 processes (docs/distributed.md)
torchrun --standalone --nproc_per_node=2 -m nnzero train mnist   # the same through torchrun
"""

from __future__ import annotations

import argparse

from nnzero.commands._common import add_command, add_dry_run, add_json, add_log_every, emit_json, say
from nnzero.config import CHOICES
from nnzero.i18n import tr
from nnzero.training.settings import DATASETS

## The flags that are settings: passed to nnzero.train by these names (None: not typed).
FLAGS = (
    "epochs", "batch_size", "lr", "optimizer", "schedule", "weight_decay", "seed", "patience", "device",
    "label_smoothing", "data_dir", "val_fraction", "limit", "image_size", "augment", "pretrained",
    "weights", "freeze_backbone", "fine_tune", "precision", "log_every", "split", "clip_seconds",
    "sample_rate", "members", "tta", "keep", "mixup",
)  # fmt: skip


def register(sub) -> None:
    p = add_command(
        sub,
        "train",
        "train a model; writes runs/<name>/ with checkpoints, metrics and curves",
        "训练模型; 结果写入 runs/<名称>/ (检查点、指标、曲线)",
        [
            "nnzero train mnist",
            "nnzero train mnist --model mlp128 --epochs 5 --name keras-mlp",
            "nnzero train mnist --model deepcnn --precision auto",
            "nnzero train mnist --epochs 10 --keep last   # test the last epoch, not the best validated",
            "nnzero train mnist --model committee   # 10 networks averaged, ~8 min on 2 cores",
            "nnzero train mnist --epochs 10 --members 5 --tta shifts",
            "nnzero train mnist --model fastcnn_deskew --epochs 10 --members 5   # members on straightened digits",
            "nnzero train mnist --epochs 10 --mixup 0.2   # train on blends of two digits and their labels",
            "nnzero train imagefolder --data-dir mnist_images",
            "nnzero train catsdogs --data-dir ~/data/dogs-vs-cats/train --name pets",
            "nnzero train catsdogs --data-dir DIR --model efficientnet_lite0",
            "nnzero train photos --data-dir ~/my_photos",
            "nnzero train photos --data-dir ~/my_photos --fine-tune 0 --precision fp32",
            "nnzero train fsdd --data-dir data/fsdd --split speaker:george",
            "nnzero train fsdd --data-dir data/fsdd --set data.synthetic=100   # + 100 espeak-ng voices",
            "nnzero train sounds --data-dir ~/my_music_by_genre",
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
            "registered model (see `nnzero models`); default fastcnn for mnist (one epoch, seconds), "
            "cnn for fashion-mnist and imagefolder, resnet_small for catsdogs, soundcnn for fsdd and sounds",
            "已注册的模型 (见 `nnzero models`); mnist 默认 fastcnn (一轮, 几秒钟), "
            "fashion-mnist 和 imagefolder 默认 cnn, catsdogs 默认 resnet_small, fsdd 和 sounds 默认 soundcnn",
        ),
    )
    _training_flags(p)
    _data_and_model_flags(p)
    _sound_flags(p)
    _committee_flags(p)
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


def _training_flags(p) -> None:
    p.add_argument(
        "--epochs",
        type=int,
        help=tr(
            "passes over the training set (fastcnn: more than its 1 also means lr 5e-3 and augmentation, "
            "unless --lr/--no-augment say otherwise)",
            "训练轮数 (fastcnn: 多于默认的 1 轮时, 学习率改为 5e-3 并开启数据增强, 除非另用 --lr/--no-augment 指定)",
        ),
    )
    p.add_argument("--batch-size", type=int, help=tr("images per step", "每步图像数"))
    p.add_argument("--lr", type=float, help=tr("peak learning rate", "最大学习率"))
    p.add_argument("--optimizer", choices=CHOICES[("train", "optimizer")])
    p.add_argument("--schedule", choices=CHOICES[("train", "schedule")])
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--label-smoothing", type=float)
    p.add_argument(
        "--mixup",
        type=float,
        metavar="ALPHA",
        help=tr(
            "train on blends of two pictures and of their labels, the blend's share drawn from "
            "Beta(ALPHA, ALPHA), e.g. 0.2; 0: off (the default)",
            "mixup: 用两张图片的混合及其标签的同样混合来训练, 混合比例取自 Beta(ALPHA, ALPHA), 例如 0.2; "
            "0: 关闭 (默认)",
        ),
    )
    p.add_argument("--seed", type=int, help=tr("random seed (weights, shuffling, split)", "随机种子"))
    p.add_argument(
        "--patience",
        type=int,
        help=tr("stop after N epochs without better validation accuracy", "验证准确率 N 轮不提高则提前停止"),
    )
    p.add_argument(
        "--keep",
        choices=CHOICES[("train", "keep")],
        help=tr(
            "which epoch's weights best.pt keeps and the test scores: the best validation accuracy "
            "(default), the lowest validation loss, or the last epoch (the default for sounds)",
            "best.pt 保存 (并用于测试) 哪一轮的权重: 验证准确率最高的 (默认), 验证损失最低的, "
            "或最后一轮 (声音模型的默认)",
        ),
    )
    add_log_every(p)


def _committee_flags(p) -> None:
    p.add_argument(
        "--members",
        type=int,
        metavar="N",
        help=tr(
            "train a committee: N networks, each from its own seed, their probabilities averaged "
            "(members/<i>/ in the run folder, one best.pt holding all; docs/mnist-speed.md)",
            "训练一个委员会: N 个网络, 各用自己的随机种子, 概率取平均 "
            "(运行目录中的 members/<i>/, 一个 best.pt 包含全部; 见 docs/mnist-speed.zh-CN.md)",
        ),
    )
    p.add_argument(
        "--tta",
        choices=CHOICES[("model", "tta")],
        help=tr(
            "test-time augmentation kept in the checkpoint: shifts averages each prediction over the "
            "image and its 1-pixel shifts (no mirror images: a mirrored digit is another digit)",
            "保存在检查点中的测试时增强: shifts 对图像及其平移 1 个像素的副本的预测取平均 "
            "(不用镜像: 数字的镜像是另一个字)",
        ),
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=tr(
            "a committee's members trained side by side in N processes of cores/N threads "
            "(default: one per core)",
            "委员会成员在 N 个进程中并行训练, 每个进程 核心数/N 个线程 (默认: 每个核心一个)",
        ),
    )


def _data_and_model_flags(p) -> None:
    p.add_argument("--device", help=tr("auto (default), cpu, cuda, mps", "auto (默认), cpu, cuda, mps"))
    p.add_argument(
        "--precision",
        choices=CHOICES[("train", "precision")],
        help=tr(
            "bf16: train in bfloat16 (autocast; weights, validation and test stay float32; photos on a "
            "pretrained backbone: its features and fine-tuning too): ~2x faster on CPUs with AVX-512 BF16 "
            "or AMX and on recent GPUs, slower elsewhere; auto: bf16 where it is fast (the default for "
            "the pretrained photo backbones)",
            "bf16: 用 bfloat16 训练 (autocast; 权重、验证和测试仍为 float32; 预训练骨干网络上的照片: "
            "特征提取和微调也用 bf16): 在支持 AVX-512 BF16 或 AMX 的 CPU 和较新的 GPU 上约快 2 倍, "
            "其他设备上反而更慢; auto: 在快的设备上用 bf16 (预训练照片骨干网络的默认值)",
        ),
    )
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
    p.add_argument(
        "--image-size",
        type=int,
        help=tr(
            "resize images to this side (sounds: mel bands and moments of the picture)",
            "图像缩放到的边长 (声音: 图中的梅尔频带数和时刻数)",
        ),
    )
    p.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        help=tr("random shifts/rotations (--no-augment: off)", "随机平移/旋转增强 (--no-augment 关闭)"),
    )
    p.add_argument(
        "--pretrained",
        action=argparse.BooleanOptionalAction,
        help=tr(
            "start from ImageNet weights (resnet18/34: downloaded; efficientnet_lite0: on by default)",
            "从 ImageNet 权重开始 (resnet18/34 需下载; efficientnet_lite0 默认开启)",
        ),
    )
    p.add_argument(
        "--weights", metavar="FILE", help=tr("start from local weights (.pth)", "从本地权重文件 (.pth) 开始")
    )
    p.add_argument(
        "--freeze-backbone",
        action=argparse.BooleanOptionalAction,
        help=tr(
            "train only the classifier of a pretrained model (efficientnet_lite0: on by default; "
            "--no-freeze-backbone fine-tunes every layer)",
            "只训练预训练模型的分类层 (efficientnet_lite0 默认开启; --no-freeze-backbone 微调所有层)",
        ),
    )
    p.add_argument(
        "--fine-tune",
        type=int,
        nargs="?",
        const=8,
        metavar="EPOCHS",
        help=tr(
            "photos, efficientnet_lite: after the head is fitted, train the backbone's last 2 blocks for "
            "EPOCHS more epochs (8 if not given; --set train.fine_tune_blocks=N, train.fine_tune_lr=X), "
            "kept only if the validation log-loss improves; 0: the head alone; without --model: lite2. "
            "Without the flag the run chooses for the folder and says why (docs/photos.md)",
            "照片, efficientnet_lite: 拟合分类层之后, 再训练骨干网络的最后 2 个块 EPOCHS 轮 (不写则为 8; "
            "--set train.fine_tune_blocks=N, train.fine_tune_lr=X), 仅当验证集对数损失降低时才保留; "
            "0: 只训练分类层; 不指定 --model 时用 lite2。不加此选项时由程序根据文件夹自行选择并说明原因 "
            "(docs/photos.zh-CN.md)",
        ),
    )


def _sound_flags(p) -> None:
    p.add_argument(
        "--split",
        metavar="HOW",
        help=tr(
            "fsdd, sounds: which clips are the test set: auto (a test/ folder; FSDD: takes 0-4), takes, "
            "speaker (voices never heard in training) or speaker:NAME[,NAME]",
            "fsdd、sounds: 哪些片段作测试集: auto (test/ 文件夹; FSDD: 第 0-4 次录音)、takes、"
            "speaker (训练中从未听过的声音) 或 speaker:名字[,名字]",
        ),
    )
    p.add_argument(
        "--clip-seconds",
        type=float,
        metavar="S",
        help=tr(
            "fsdd, sounds: seconds of sound in one picture; longer clips are cut into windows whose "
            "probabilities are averaged (default: 1.5 for fsdd, from the clips for sounds)",
            "fsdd、sounds: 一张图包含的声音秒数; 更长的片段切成窗口, 概率取平均 "
            "(默认: fsdd 1.5, sounds 由片段长度决定)",
        ),
    )
    p.add_argument(
        "--sample-rate",
        type=int,
        metavar="HZ",
        help=tr(
            "fsdd, sounds: resample every clip to this rate (default 8000 for fsdd, 16000 for sounds)",
            "fsdd、sounds: 所有片段重采样到此采样率 (默认 fsdd 8000, sounds 16000)",
        ),
    )


def run(args) -> int:
    if args.nproc is not None:
        from nnzero.training.launch import launch_local

        return launch_local(args.parser, args, args.nproc)
    from nnzero.evaluation.api import train

    run = train(
        args.dataset_override or args.dataset,
        model=args.model,
        name=args.name,
        runs_dir=args.runs_dir,
        progress=not (args.quiet or args.json),
        resume=args.resume,
        dry_run=args.dry_run,
        summary=args.summary,
        sets=args.set,
        say=lambda message: say(args, message),
        workers=args.workers,
        **{flag: getattr(args, flag) for flag in FLAGS},
    )
    if run.rank != 0:  # under torchrun, rank 0 alone reports
        return 0
    if args.json:
        emit_json(run.metrics)
    elif run.test_accuracy is not None:
        print(
            tr(
                "test accuracy: {a:.4f}  ({s:.0f} s)  checkpoint: {c}",
                "测试准确率: {a:.4f}  ({s:.0f} 秒)  检查点: {c}",
                a=run.test_accuracy,
                s=run.metrics["seconds"],
                c=run.checkpoint,
            )
        )
    return 0
