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
