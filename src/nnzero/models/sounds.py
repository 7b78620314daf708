"""Models for sounds as pictures: log-mel spectrograms (bands x moments), one grey channel.

The course's networks work on these pictures unchanged (``lenet5`` takes a 32x32 spectrogram as it takes
a 28x28 digit); ``soundcnn`` adds what the measurements of docs/sound.md found to pay for voices never
heard in training: each recording's bands normalised on their own, and a small VGG-style CNN.
"""

from __future__ import annotations

import torch
from torch import nn

from nnzero.models._registry import register_model
from nnzero.models.digits import conv_bn


class BandNorm(nn.Module):
    """Each band (row) of each picture minus its own mean over time (and divided by its spread).

    ## A voice, a microphone or a room colours every moment of a recording the same way: some bands
    ## louder, some softer. That colour is the same in every column, so subtracting each band's average
    ## over the clip removes it (cepstral mean normalisation, a classic of speech recognition) and leaves
    ## what changes from moment to moment: the word.
    """

    def __init__(self, scale: bool = False, eps: float = 1e-3):
        super().__init__()
        self.scale, self.eps = scale, eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, bands, T)
        centred = x - x.mean(dim=-1, keepdim=True)  # (N, C, bands, T)
        if not self.scale:
            return centred
        return centred / (centred.pow(2).mean(dim=-1, keepdim=True) + self.eps).sqrt()


## the recipe for FSDD chosen on the leave-one-speaker-out folds (docs/sound.md)
SOUND_DEFAULTS = {
    "epochs": 40,
    "batch_size": 64,
    "lr": 3e-3,
    "optimizer": "adamw",
    "weight_decay": 5e-4,
    "schedule": "onecycle",
    "label_smoothing": 0.1,
    "augment": True,
}


@register_model(
    description="a small CNN for log-mel spectrograms: per-band normalisation, 4 conv/batch-norm layers",
    description_zh="用于对数梅尔频谱图的小型卷积网络: 逐频带归一化, 4 个卷积/批归一化层",
    task="sounds",
    image_size=32,
    train_defaults=SOUND_DEFAULTS,
)
def soundcnn(num_classes=10, in_channels=1, image_size=32, width=24, band_norm="mean", dropout=0.3):
    norm = {"none": nn.Identity(), "mean": BandNorm(), "meanvar": BandNorm(scale=True)}[band_norm]
    return nn.Sequential(
        norm,
        *conv_bn(in_channels, width),
        nn.MaxPool2d(2),  # (N, w, S/2, S/2)
        *conv_bn(width, 2 * width),
        nn.MaxPool2d(2),  # (N, 2w, S/4, S/4)
        *conv_bn(2 * width, 4 * width),
        nn.MaxPool2d(2),  # (N, 4w, S/8, S/8)
        *conv_bn(4 * width, 4 * width),
        nn.AdaptiveAvgPool2d(4),  # (N, 4w, 4, 4): any picture size
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(4 * width * 16, num_classes),
    )
