"""Models for sounds as pictures: log-mel spectrograms (bands x moments), one grey channel.

The course's networks work on these pictures unchanged (``lenet5`` takes a 32x32 spectrogram as it takes
a 28x28 digit); ``soundcnn`` adds what the measurements of docs/sound.md found to pay for voices never
heard in training: each recording's bands normalised on their own, and a small VGG-style CNN.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
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
    ## the last epoch, not the best of ~220 validation clips: on the leave-one-speaker-out folds it was
    ## better in 14 of 15 runs, by 1.5 points (benchmarks/sound_recipes.py --selection-table)
    "keep": "last",
}


def warp_bands(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Pictures (N, C, bands, T) as a vocal tract ``factor`` times shorter would make them: every band
    moved up by that factor, the lowest band (the bottom row) in place."""
    n = len(x)
    theta = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1 / factor, 1 - 1 / factor]], dtype=x.dtype, device=x.device)
    grid = F.affine_grid(theta.expand(n, 2, 3), list(x.shape), align_corners=False)  # (N, bands, T, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


class SoundCNN(nn.Module):
    """``layers`` on a picture; in evaluation, optionally the average over a few warps of it.

    ## A voice never heard may be higher or lower than every voice in training. Listening to the picture
    ## as it is and warped a little up and down (``warps``), and averaging the answers, meets it halfway:
    ## test-time augmentation, a cheap vocal-tract length normalisation. Measured on the unseen speakers
    ## (benchmarks/sound_warps.py), it bought nothing once the last epoch is kept, so soundcnn's default
    ## has no warps: one answer, three times cheaper.
    """

    def __init__(self, layers: nn.Sequential, warps: tuple[float, ...] = ()):
        super().__init__()
        self.layers, self.warps = layers, tuple(warps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, bands, T) -> (N, classes)
        if self.training or not self.warps:
            return self.layers(x)
        probs = torch.stack(
            [self.layers(warp_bands(x, f) if f != 1 else x).softmax(1) for f in (1.0, *self.warps)]
        )
        return (
            probs.mean(0).clamp_min(1e-12).log()
        )  # log-probabilities: softmax of them gives the average back


@register_model(
    description="a small CNN for log-mel spectrograms: per-band normalisation, 4 conv/batch-norm layers",
    description_zh="用于对数梅尔频谱图的小型卷积网络: 逐频带归一化, 4 个卷积/批归一化层",
    task="sounds",
    image_size=32,
    train_defaults=SOUND_DEFAULTS,
)
def soundcnn(num_classes=10, in_channels=1, image_size=32, width=24, band_norm="mean", dropout=0.3, warps=()):
    norm = {"none": nn.Identity(), "mean": BandNorm(), "meanvar": BandNorm(scale=True)}[band_norm]
    layers = nn.Sequential(
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
    return SoundCNN(layers, warps)
