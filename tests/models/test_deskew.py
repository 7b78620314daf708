"""Deskew (fastcnn_deskew's first layer) on real digits: upright and centred, idempotent, blank-safe."""

import pytest
import torch

from nnzero.datasets.mnist import load_idx_dataset
from nnzero.models.digits import Deskew

MEAN, STD = 0.1307, 0.3081  # MNIST's normalisation: the layer sees normalised pictures


def moments(pictures: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each picture's slope (columns per row of its ink's main axis) and its ink's centre (row, column)."""
    ink = (pictures[:, 0] * STD + MEAN).clamp(0, 1)  # (N, H, W)
    h, w = ink.shape[1:]
    rows = torch.arange(h, dtype=ink.dtype).view(1, h, 1)
    cols = torch.arange(w, dtype=ink.dtype).view(1, 1, w)
    mass = ink.sum((1, 2))
    mr, mc = (ink * rows).sum((1, 2)) / mass, (ink * cols).sum((1, 2)) / mass
    dr, dc = rows - mr.view(-1, 1, 1), cols - mc.view(-1, 1, 1)
    return (ink * dr * dc).sum((1, 2)) / (ink * dr**2).sum((1, 2)), mr, mc


@pytest.fixture(scope="module")
def digits(mnist_dir):
    data = load_idx_dataset("test", data_dir=str(mnist_dir))
    return (torch.from_numpy(data.images[:200].copy()).float() / 255 - MEAN) / STD  # (200, 1, 28, 28)


def test_real_digits_come_out_upright_and_centred(digits):
    slope, _, _ = moments(digits)
    assert slope.abs().max() > 0.4 and (slope.abs() > 0.15).sum() > 40  # many real digits lean
    straight, mr, mc = moments(Deskew()(digits))
    assert straight.abs().max() < 0.03
    ## a digit moved or sheared against an edge loses a sliver of ink there: its centre moves a little
    for centre in (mr, mc):
        assert (centre - 13.5).abs().median() < 0.01 and (centre - 13.5).abs().max() < 0.5


def test_a_straightened_digit_is_left_as_it_is(digits):
    once = Deskew()(digits)
    twice = Deskew()(once)
    ink_once, ink_twice = once * STD + MEAN, twice * STD + MEAN
    assert (ink_twice - ink_once).abs().mean() < 0.01  # a little blur from resampling, nothing more
    assert torch.equal(Deskew()(digits), once)  # no randomness: the same picture, the same answer


def test_a_blank_picture_stays_blank_and_finite():
    blank = torch.full((2, 1, 28, 28), -MEAN / STD)
    out = Deskew()(blank)
    assert torch.isfinite(out).all() and torch.allclose(out, blank)
