"""Edge kernels on real MNIST digits respond where the strokes of their direction are."""

import numpy as np
import pytest

from nnzero.datasets.mnist import load_arrays
from nnzero.errors import NnzeroError
from nnzero.lessons import conv


def _slow_conv(image, kernel):
    out = np.zeros((image.shape[0] - 2, image.shape[1] - 2))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (image[i : i + 3, j : j + 3] * kernel).sum()
    return out


def test_conv_and_pool_against_plain_loops():
    r = conv.compute()
    assert (r.index, r.label) == (4, 4)
    for name, k in conv.KERNELS.items():
        assert r.maps[name].shape == (26, 26)
        assert np.allclose(r.maps[name], _slow_conv(r.image, k))
        relu = np.maximum(r.maps[name], 0)
        expect = [[relu[2 * i : 2 * i + 2, 2 * j : 2 * j + 2].max() for j in range(13)] for i in range(13)]
        assert np.array_equal(r.pooled[name], np.array(expect))
    i, j, patch, value = r.worked["vertical"]
    assert value == pytest.approx((patch * conv.VERTICAL).sum()) == pytest.approx(r.maps["vertical"].max())


def test_blank_paper_gives_no_response():
    r = conv.compute()
    blank = _slow_conv(r.image, np.ones((3, 3))) == 0  # 3x3 windows with no ink at all
    assert blank.sum() > 100
    for m in r.maps.values():
        assert np.all(m[blank] == 0)


def test_a_one_is_vertical():
    r = conv.compute(index=2)
    assert r.label == 1
    assert r.strength["vertical"] > 2 * r.strength["horizontal"]


def test_the_bar_of_a_seven_is_horizontal():
    r = conv.compute(index=0)
    assert r.label == 7
    ink = load_arrays("test")[0][0] > 128
    bar = int(np.argmax(ink[:14].sum(axis=1)))  # the top bar: the inkiest row of the upper half
    rows = slice(bar - 3, bar + 2)  # map row i covers image rows i..i+2
    h, v = np.abs(r.maps["horizontal"][rows]).sum(), np.abs(r.maps["vertical"][rows]).sum()
    assert h > 2 * v


def test_the_four_bar_and_strokes_are_found():
    r = conv.compute()
    ink = r.image > 0.5
    bar_row = int(np.argmax(ink.sum(axis=1)))  # the cross bar of the 4 is its inkiest row
    peak_row = r.worked["horizontal"][0] + 1  # centre of the 3x3 window
    assert abs(peak_row - bar_row) <= 2
    # at each peak a whole column (row) of ink sits beside a whole column (row) of paper
    v_patch, h_patch = r.worked["vertical"][2], r.worked["horizontal"][2]
    assert np.all(v_patch[:, 0] > 0.5) and np.all(v_patch[:, 2] < 0.5)
    assert np.all(h_patch[0, :] > 0.5) and np.all(h_patch[2, :] < 0.5)


def test_bad_index_is_a_user_error():
    with pytest.raises(NnzeroError, match="index"):
        conv.compute(index=10_000)
