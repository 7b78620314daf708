"""The sound augmentation on real log-mel pictures: in range, seeded, and each variation doing what it says."""

from __future__ import annotations

import pytest
import torch

from nnzero.config import DataConfig
from nnzero.training.augment import augment_sound

pytest.importorskip("soundfile")


@pytest.fixture(scope="module")
def pictures(small_fsdd):
    from nnzero.datasets import load_dataset

    data = load_dataset(DataConfig(dataset="fsdd", data_dir=str(small_fsdd)), "test")
    return torch.from_numpy(data.images[:64]).float() / 255  # (64, 1, 32, 32) in [0, 1]


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_in_range_and_seeded(pictures):
    a = augment_sound(pictures, _generator(1))
    assert a.shape == pictures.shape and 0 <= a.min() and a.max() <= 1
    assert torch.equal(a, augment_sound(pictures, _generator(1)))
    assert not torch.equal(a, augment_sound(pictures, _generator(2)))
    off = {"shift": 0.0, "stretch": 0.0, "warp": 0.0, "noise": 0.0, "masks": 0}
    unchanged = augment_sound(pictures, _generator(1), **off)  # all off: unchanged
    assert torch.allclose(unchanged, pictures, atol=1e-5)


def test_the_warp_keeps_the_lowest_band_in_place():
    x = torch.zeros(8, 1, 32, 32)
    x[:, :, -1] = 1.0  # only the lowest band (the bottom row) sounds
    warped = augment_sound(x, _generator(0), shift=0.0, stretch=0.0, warp=0.2, noise=0.0, masks=0)
    assert warped[:, :, -1].mean() > 0.8 and warped[:, :, :-3].max() < 1e-6
    x = torch.zeros(8, 1, 32, 32)
    x[:, :, 16] = 1.0  # a band in the middle moves up or down with the voice
    moved = augment_sound(x, _generator(0), shift=0.0, stretch=0.0, warp=0.2, noise=0.0, masks=0)
    rows = moved[:, 0].mean(dim=2).argmax(dim=1)  # (8,)
    assert len(set(rows.tolist())) > 1 and all(abs(r - 16) <= 4 for r in rows.tolist())


def test_noise_fills_the_silence_and_masks_hide_bands_and_moments(pictures):
    noisy = augment_sound(pictures, _generator(3), shift=0.0, stretch=0.0, warp=0.0, noise=1.0, masks=0)
    quiet = pictures < 0.2  # cells more than 64 dB under the loudest
    assert (noisy[quiet] >= pictures[quiet] - 1e-6).all() and (noisy[quiet] - pictures[quiet]).mean() > 0.05
    grain = 0.01 * torch.rand(pictures.shape, generator=_generator(5))
    textured = (pictures + grain).clamp(0, 1)  # no flat row
    masked = augment_sound(textured, _generator(4), shift=0.0, stretch=0.0, warp=0.0, noise=0.0, masks=2)
    mean = textured.mean(dim=(1, 2, 3), keepdim=True)
    hidden = (masked - mean).abs() < 1e-6  # (N, 1, bands, T): cells set to the picture's mean
    assert hidden.all(dim=3).any() and hidden.all(dim=2).any()  # whole bands, and whole moments
    assert hidden.float().mean() < 0.5
