"""Models for 28x28 digits: the course's MLPs, LeNet-5, the fast default and a strong small CNN.

Every model takes a float batch (N, C, H, W), already normalised, and returns
logits (N, num_classes); softmax lives in the loss, not in the model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nnzero.models._registry import register_model

## Adam at 6e-3 with a cosine decay, 256 images a step: measured on MNIST (test accuracy, mean of
## 3-5 seeds) against 2e-3 at 128 a step, better for every MLP here and ~1.6x faster on a 2-core
## CPU, where a 128-image step leaves the matrix multiplies too small to keep both cores busy:
## mlp128, 5 epochs: 97.92% against 97.80%; mlp256, 2 epochs: 97.62% against 97.37%;
## mlp64x3, 2 epochs: 96.42% against 95.92%. The course's constant 1e-3 at 128: mlp128 97.07%.
MLP_DEFAULTS = {"lr": 6e-3, "batch_size": 256, "epochs": 5, "schedule": "cosine", "augment": False}


def _mlp(sizes: list[int]) -> nn.Sequential:
    """Flatten, then Linear+ReLU between consecutive sizes, with no ReLU after the last."""
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


@register_model(
    description="the course's Keras model: 784-128-10 MLP",
    description_zh="课程中的 Keras 模型: 784-128-10 全连接网络",
    train_defaults=MLP_DEFAULTS,
)
def mlp128(num_classes=10, in_channels=1, image_size=28):
    return _mlp([in_channels * image_size * image_size, 128, num_classes])


@register_model(
    description="the course's PyTorch model: 784-64-64-64-10 MLP",
    description_zh="课程中的 PyTorch 模型: 784-64-64-64-10 全连接网络",
    train_defaults=MLP_DEFAULTS,
)
def mlp64x3(num_classes=10, in_channels=1, image_size=28):
    return _mlp([in_channels * image_size * image_size, 64, 64, 64, num_classes])


@register_model(
    description="the course's ImageFolder model: 784-256-10 MLP (203,530 parameters)",
    description_zh="课程中 ImageFolder 程序的模型: 784-256-10 全连接网络 (203,530 个参数)",
    train_defaults=MLP_DEFAULTS,
)
def mlp256(num_classes=10, in_channels=1, image_size=28):
    return _mlp([in_channels * image_size * image_size, 256, num_classes])


@register_model(
    description="LeNet-5 (LeCun 1998): two 5x5 conv+pool stages, then 120-84-10",
    description_zh="LeNet-5 (LeCun 1998): 两级 5x5 卷积+池化, 然后 120-84-10 全连接",
    train_defaults={"lr": 2e-3, "epochs": 5, "augment": False},
)
def lenet5(num_classes=10, in_channels=1, image_size=28):
    return lenet_layers(in_channels, num_classes, image_size, padding=2)


def lenet_layers(in_channels: int, num_classes: int, image_size: int, padding: int) -> nn.Sequential:
    """LeNet: conv5(6), pool, conv5(16), pool, then 120-84-classes; shared by digits and photos."""
    ## the side of the last feature maps: 28 pad 2 -> 28 -> 14 -> 10 -> 5; 64 -> 60 -> 30 -> 26 -> 13
    side = ((image_size + 2 * padding - 4) // 2 - 4) // 2
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=padding),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 6, H/2, W/2)
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 16, side, side)
        nn.Flatten(),
        nn.Linear(16 * side * side, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, num_classes),
    )


def conv_bn(c_in: int, c_out: int) -> list[nn.Module]:
    """3x3 convolution, batch norm, ReLU: the building block of modern small CNNs."""
    ## Batch norm keeps each channel's activations near mean 0, variance 1, so a high
    ## learning rate stays stable; the conv needs no bias because BN adds its own shift.
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


def conv_pool_bn(c_in: int, c_out: int, kernel: int, padding: int = 0) -> list[nn.Module]:
    """Convolution, 2x2 max pool, batch norm, ReLU: fastcnn's and deepcnn's block.

    ## Batch norm after the pool, not before, works on 4x fewer numbers (on a CPU, batch norm at
    ## full resolution costs as much as the convolution); the conv needs no bias, BN adds the shift.
    """
    return [
        nn.Conv2d(c_in, c_out, kernel, padding=padding, bias=False),
        nn.MaxPool2d(2),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]


@register_model(
    description="a small VGG-style CNN with batch norm and dropout (99.5%+ on MNIST in 10 epochs)",
    description_zh="带批归一化和 dropout 的小型 VGG 风格卷积网络 (MNIST 上 10 轮 >= 99.5%)",
    train_defaults={
        "lr": 4e-3,
        "epochs": 3,
        "augment": True,
        "weight_decay": 5e-4,
        "optimizer": "adamw",
        "label_smoothing": 0.05,
    },
)
def cnn(num_classes=10, in_channels=1, image_size=28, width=24):
    ## Width 24 is the measured sweet spot on a 2-core CPU: 16 loses accuracy, 32 is
    ## twice as slow (2,300 vs 1,100 images/s).
    return nn.Sequential(
        *conv_bn(in_channels, width),
        nn.MaxPool2d(2),  # (N, w, 14, 14)
        *conv_bn(width, 2 * width),
        nn.MaxPool2d(2),  # (N, 2w, 7, 7)
        *conv_bn(2 * width, 4 * width),
        ## ceil_mode keeps the 7th row and column (7 -> 4, not 3): measured over 10 epochs,
        ## 99.56% test accuracy against 99.49% when the pool drops them.
        nn.MaxPool2d(2, ceil_mode=True),  # (N, 4w, 4, 4)
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(4 * width * (-(-image_size // 8)) ** 2, num_classes),
    )


## fastcnn's defaults, chosen by measurement (docs/mnist-speed.md has the tables, 3-5 seeds each):
## one epoch, 256 images a step, Adam at 1e-2 on a one-cycle schedule (tuomaso/train_mnist_fast's
## recipe), plus label smoothing 0.1 (99.08% -> 99.22% mean test accuracy) and 5% held out for
## validation instead of 10% (-> 99.31%: in one epoch, 3,000 more images are 3,000 more lessons).
## No augmentation in one epoch: too short for shifted copies to pay.
FASTCNN_DEFAULTS = {
    "epochs": 1,
    "batch_size": 256,
    "lr": 1e-2,
    "optimizer": "adam",
    "beta1": 0.7,  # tuomaso's betas: a shorter memory suits a run of 223 steps (+0.05% over 0.9, 0.999)
    "beta2": 0.9,
    "schedule": "onecycle",
    "warmup": 0.3,
    "label_smoothing": 0.1,
    "augment": False,
    "val_fraction": 0.05,
}
## ... and for more epochs than one (`--epochs 10`): half the peak rate, and shifted/rotated copies,
## which a longer run has the time to learn from (10 epochs: 99.43% plain, 99.56% with augmentation
## at 1e-2, 99.62% at 5e-3, seed 0; 99.57% over seeds 0-2). Flags the user gives still win.
FASTCNN_LONG = {"lr": 5e-3, "augment": True}


@register_model(
    description="default for MNIST: a small fast CNN with batch norm (99.2%+ in one epoch, seconds on a CPU)",
    description_zh="MNIST 的默认模型: 带批归一化的小型快速卷积网络 (一轮即 >= 99.2%, CPU 上几秒钟)",
    train_defaults=FASTCNN_DEFAULTS,
    long_defaults=FASTCNN_LONG,
)
def fastcnn(num_classes=10, in_channels=1, image_size=28):
    ## tuomaso/train_mnist_fast's network (conv 5x5 24, pool, conv 3x3 32, pool, 800-256-10)
    ## with batch norm after each pool, and 16 filters in the first conv instead of 24: as
    ## accurate over 5 seeds (99.27% mean either way) and 25% faster. The normalised activations
    ## let a one-epoch run take a high learning rate.
    side = ((image_size - 4) // 2 - 2) // 2  # 28 -> 24 -> 12 -> 10 -> 5
    return nn.Sequential(
        *conv_pool_bn(in_channels, 16, 5),  # (N, 16, 12, 12)
        *conv_pool_bn(16, 32, 3),  # (N, 32, 5, 5)
        nn.Flatten(),  # (N, 800)
        nn.Linear(32 * side * side, 256),
        nn.ReLU(inplace=True),
        nn.Linear(256, num_classes),
    )


class Deskew(nn.Module):
    """Each digit straightened and centred: sheared so its strokes stand upright, its ink's centre moved
    to the middle (the classic deskewing by image moments: LeCun et al. 1998 compared classifiers on
    deskewed digits; Ciresan et al. 2012 made their columns differ by normalising the digits' width).

    ## Why in the model, not in the data: a committee member that sees digits straightened makes
    ## mistakes of its own, and a checkpoint that straightens its input itself needs nothing new from
    ## evaluate, predict, serve or export. The shear comes from the ink's moments: the covariance of
    ## row and column over the variance of the row, the slope of the digit's main axis.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, H, W) normalised -> the same, deskewed
        n, _, h, w = x.shape
        grey = x.mean(1)  # (N, H, W)
        ink = grey - grey.amin((1, 2), keepdim=True)  # (N, H, W) >= 0: the paper is 0
        mass = ink.sum((1, 2)).clamp_min(1e-6)  # (N,)
        rows = torch.arange(h, dtype=x.dtype, device=x.device).view(1, h, 1) - (h - 1) / 2
        cols = torch.arange(w, dtype=x.dtype, device=x.device).view(1, 1, w) - (w - 1) / 2
        mr = (ink * rows).sum((1, 2)) / mass  # (N,) the ink's centre, from the picture's middle
        mc = (ink * cols).sum((1, 2)) / mass
        dr = rows - mr.view(n, 1, 1)  # (N, H, 1): each row's distance from the ink's centre
        var_r = (ink * dr**2).sum((1, 2)) / mass
        cov = (ink * dr * (cols - mc.view(n, 1, 1))).sum((1, 2)) / mass
        slope = (cov / var_r.clamp_min(1e-6)).clamp(-1, 1)  # (N,) columns per row: a blank picture gets 0
        ## affine_grid maps each output point to where it reads in the input ([-1, 1] on both axes):
        ## column c + slope * (row - centre row) + the centre's offset, row + the centre's offset
        zeros, ones = torch.zeros_like(slope), torch.ones_like(slope)
        theta = torch.stack(
            [
                torch.stack([ones, slope * h / w, 2 * mc / w], 1),
                torch.stack([zeros, ones, 2 * mr / h], 1),
            ],
            1,
        )  # (N, 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


@register_model(
    description="fastcnn on deskewed digits: each digit sheared upright and centred first (a different "
    "committee member at ~1.1x fastcnn's cost)",
    description_zh="先把数字摆正 (按图像矩剪切并居中) 的 fastcnn: 以约 1.1 倍 fastcnn 的代价得到一个不同的委员会成员",
    train_defaults=FASTCNN_DEFAULTS,
    long_defaults=FASTCNN_LONG,
)
def fastcnn_deskew(num_classes=10, in_channels=1, image_size=28):
    return nn.Sequential(Deskew(), fastcnn(num_classes, in_channels, image_size))


## deepcnn's recipe (docs/mnist-speed.md, third round): Adam at 5e-3 on a one-cycle schedule (20%
## warm-up), 256 a step, label smoothing 0.1, augmentation, 5% held out, and a moving average of the
## weights (decay 0.998 a step) that validation, best.pt and the test use. 35 epochs: 99.68 / 99.69 /
## 99.65% (seeds 0, 1, 2) in 587-603 s on a 2-core CPU with bfloat16 hardware, where precision "auto"
## trains in bf16 (1.9x faster steps than fp32 there; about twice the time where the CPU has none).
DEEPCNN_DEFAULTS = {
    "epochs": 35,
    "batch_size": 256,
    "lr": 5e-3,
    "optimizer": "adam",
    "schedule": "onecycle",
    "warmup": 0.2,
    "label_smoothing": 0.1,
    "augment": True,
    "val_fraction": 0.05,
    "ema": 0.998,
    "precision": "auto",
}


@register_model(
    description="the most accurate digit model: six conv layers, batch norm (99.65-99.69% in 35 epochs, ~10 min with bf16)",
    description_zh="最准确的数字模型: 六个卷积层, 批归一化 (35 轮 99.65-99.69%, 支持 bf16 时约 10 分钟)",
    train_defaults=DEEPCNN_DEFAULTS,
)
def deepcnn(num_classes=10, in_channels=1, image_size=28):
    ## conv 5x5 32, pool, 3x3 64, 3x3 64, pool, 3x3 128, pool, 1152-256-classes: 13x fastcnn's
    ## arithmetic, batch norm after every conv (after the pool where there is one).
    side = image_size // 8  # 28 -> 14 -> 7 -> 3
    return nn.Sequential(
        *conv_pool_bn(in_channels, 32, 5, padding=2),  # (N, 32, 14, 14)
        *conv_bn(32, 64),  # (N, 64, 14, 14)
        *conv_pool_bn(64, 64, 3, padding=1),  # (N, 64, 7, 7)
        *conv_pool_bn(64, 128, 3, padding=1),  # (N, 128, 3, 3)
        nn.Flatten(),
        nn.Dropout(0.25),
        nn.Linear(128 * side * side, 256),
        nn.ReLU(inplace=True),
        nn.Linear(256, num_classes),
    )


@register_model(
    description="softmax regression: one linear layer 784-10, a weight for every pixel and digit",
    description_zh="softmax 回归: 单个线性层 784-10, 每个像素对每个数字都有一个权重",
    train_defaults=MLP_DEFAULTS,
)
def softmax(num_classes=10, in_channels=1, image_size=28):
    return _mlp([in_channels * image_size * image_size, num_classes])
