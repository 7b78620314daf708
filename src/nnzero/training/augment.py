"""Augmentation on whole batches, in torch, on the device that trains.

Working on a batch tensor instead of one PIL image at a time is what lets nnzero
train without DataLoader worker processes (fast on Windows too).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def augment_digits(
    x: torch.Tensor,
    generator: torch.Generator,
    max_shift: float = 2.0,
    max_degrees: float = 10.0,
    max_scale: float = 0.1,
) -> torch.Tensor:
    """Small random shifts, rotations and zooms of a batch (N, C, H, W) in [0, 1].

    ## Handwriting varies in position, slant and size; showing the network slightly
    ## moved copies teaches it that these changes do not change the digit.
    """
    n, _, h, w = x.shape
    u = (
        torch.rand(n, 4, generator=generator, device=generator.device).to(x.device) * 2 - 1
    )  # (N, 4) in [-1, 1]
    angle = u[:, 0] * math.radians(max_degrees)
    scale = 1 + u[:, 1] * max_scale
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [  # (N, 2, 3): affine_grid works in [-1, 1] coordinates, so pixels become 2/size
            torch.stack([cos, -sin, u[:, 2] * max_shift * 2 / w], 1),
            torch.stack([sin, cos, u[:, 3] * max_shift * 2 / h], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (N, H, W, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def augment_photos(
    x: torch.Tensor,
    generator: torch.Generator,
    min_area: float = 0.35,
    jitter: float = 0.2,
    size: int | None = None,
) -> torch.Tensor:
    """Random resized crop, horizontal flip and brightness/contrast/saturation jitter of (N, 3, H, W) in [0, 1];
    the crops come out at ``size`` x ``size`` (default: H x W).

    ## A random crop of 35-100% of the photo, resized, shows the network its subject larger than the
    ## whole photo (the test view) does: about 1.2x on average. Cropping to a side 1.2x smaller than
    ## the test photos' gives the subject the same size in pixels in both, and each step costs
    ## (1/1.2)^2 = 0.7 of the work ("FixRes", Touvron et al. 2019).
    """
    n, c, h, w = x.shape
    u = torch.rand(n, 7, generator=generator, device=generator.device).to(x.device)  # (N, 7) in [0, 1]
    area = min_area + (1 - min_area) * u[:, 0]
    ratio = torch.exp((u[:, 1] * 2 - 1) * math.log(4 / 3))  # aspect ratio in [3/4, 4/3]
    sx = torch.sqrt(area * ratio).clamp(max=1.0)
    sy = torch.sqrt(area / ratio).clamp(max=1.0)
    tx = (u[:, 2] * 2 - 1) * (1 - sx)
    ty = (u[:, 3] * 2 - 1) * (1 - sy)
    flip = torch.where(u[:, 4] < 0.5, -1.0, 1.0)
    zeros = torch.zeros_like(sx)
    theta = torch.stack(
        [torch.stack([sx * flip, zeros, tx], 1), torch.stack([zeros, sy, ty], 1)], 1
    )  # (N, 2, 3)
    shape = list(x.shape) if size is None else [n, c, size, size]
    grid = F.affine_grid(theta, shape, align_corners=False)  # (N, size, size, 2)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    brightness = (1 + (u[:, 5] * 2 - 1) * jitter).view(n, 1, 1, 1)
    contrast = (1 + (u[:, 6] * 2 - 1) * jitter).view(n, 1, 1, 1)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * contrast + mean * brightness
    if c == 3:
        grey = x.mean(dim=1, keepdim=True)
        saturation = (
            1
            + (torch.rand(n, 1, 1, 1, generator=generator, device=generator.device).to(x.device) * 2 - 1)
            * jitter
        )
        x = grey + (x - grey) * saturation
    return x.clamp(0, 1)


## How strongly sounds are varied (docs/sound.md measured each on the leave-one-speaker-out folds):
## shift and stretch of time, warp of pitch (vocal-tract length), noise in the power domain, masks.
SOUND_AUGMENT = {
    "shift": 0.1,  # time shift, as a share of the picture's width
    "stretch": 0.15,  # time stretch: speed 1 +- this
    "warp": 0.1,  # frequency warp (vocal-tract length): factor 1 +- this, low frequencies anchored
    "noise": 0.5,  # share of clips that get noise mixed in, at -60 to -25 dB under the loudest cell
    "masks": 2,  # SpecAugment: this many bands and this many moments masked, each up to 1/8 of the picture
    "top_db": 80.0,  # the picture's range in decibels (pixel 0 is -top_db, 1 is 0 dB)
}


def augment_sound(x: torch.Tensor, generator: torch.Generator, **strengths) -> torch.Tensor:
    """Random variations of a batch of log-mel pictures (N, 1, bands, T) in [0, 1] (last row: lowest band).

    ## A new voice says the same word a little faster or slower (time stretch), with a longer or shorter
    ## vocal tract, which moves every resonance up or down in frequency (warp), in another room (noise);
    ## SpecAugment hides a few bands and moments so that no single one is relied upon.
    """
    s = SOUND_AUGMENT | strengths
    n = len(x)
    u = (
        torch.rand(n, 3, generator=generator, device=generator.device).to(x.device) * 2 - 1
    )  # (N, 3) in [-1, 1]
    zeros = torch.zeros(n, device=x.device)
    speed = 1 + u[:, 0] * s["stretch"]
    pitch = 1 + u[:, 1] * s["warp"]
    ## affine_grid maps output to input coordinates in [-1, 1]: time t reads t * speed + shift; row y
    ## reads y / pitch + 1 - 1 / pitch, anchored at the lowest band (the bottom row, y = 1)
    theta = torch.stack(
        [
            torch.stack([speed, zeros, u[:, 2] * s["shift"] * 2], 1),
            torch.stack([zeros, 1 / pitch, 1 - 1 / pitch], 1),
        ],
        1,
    )  # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (N, bands, T, 2)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    x = _noise(x, generator, s)
    return _masks(x, generator, s["masks"])


def _noise(x: torch.Tensor, generator: torch.Generator, s: dict) -> torch.Tensor:
    """Noise added where sound adds: in power, then back to decibels relative to the loudest cell."""
    if s["noise"] <= 0:
        return x
    n = len(x)
    g = dict(generator=generator, device=generator.device)
    level = -60 + 35 * torch.rand(n, 1, 1, 1, **g).to(x.device)  # (N, 1, 1, 1) dB
    chosen = (torch.rand(n, 1, 1, 1, **g).to(x.device) < s["noise"]).float()
    texture = 3 * torch.randn(x.shape, **g).to(x.device)  # (N, 1, bands, T): dB of each cell
    top = s["top_db"]
    power = 10 ** ((x * top - top) / 10) + chosen * 10 ** ((level + texture) / 10)
    db = 10 * torch.log10(power)
    db = db - db.amax(dim=(1, 2, 3), keepdim=True)
    return ((db + top) / top).clamp(0, 1)


def _masks(x: torch.Tensor, generator: torch.Generator, count: int) -> torch.Tensor:
    """SpecAugment's masks: ``count`` runs of bands and ``count`` runs of moments set to the picture's mean."""
    n, _, bands, frames = x.shape
    g = dict(generator=generator, device=generator.device)
    keep = torch.ones_like(x)
    for axis, size in ((2, bands), (3, frames)):
        for _ in range(count):
            width = (torch.rand(n, **g) * (size // 8 + 1)).long().to(x.device)  # (N,)
            start = (torch.rand(n, **g) * size).long().to(x.device)  # (N,)
            where = torch.arange(size, device=x.device)[None, :]  # (1, size)
            hidden = (where >= start[:, None]) & (where < (start + width)[:, None])  # (N, size)
            shape = (n, 1, size, 1) if axis == 2 else (n, 1, 1, size)
            keep = keep * (~hidden).float().view(shape)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return x * keep + mean * (1 - keep)
