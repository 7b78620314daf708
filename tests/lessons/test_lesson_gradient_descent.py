"""The loss surface with valleys a, b, c, d and the SGD, momentum and Adam paths from one start."""

import numpy as np
import pytest

from nnzero.lessons import gradient_descent as gd


@pytest.fixture(scope="module")
def result():
    return gd.compute()


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    points = rng.uniform(-6, 6, size=(50, 2))  # (50, 2)
    grad = gd.loss_and_grad(points)[1]
    eps = 1e-6
    for k in range(2):
        step = np.zeros(2)
        step[k] = eps
        numeric = (gd.loss_and_grad(points + step)[0] - gd.loss_and_grad(points - step)[0]) / (2 * eps)
        assert np.allclose(grad[:, k], numeric, atol=1e-7)


def test_four_valleys_and_d_is_the_global_minimum(result):
    assert set(result.minima) == {"a", "b", "c", "d"}
    for name, p in result.minima.items():
        assert np.linalg.norm(gd.loss_and_grad(p)[1]) < 1e-6, name  # a true minimum: flat...
        ring = p + 0.05 * np.stack([np.cos(np.arange(8)), np.sin(np.arange(8))], -1)  # (8, 2)
        assert np.all(gd.loss_and_grad(ring)[0] > result.minima_loss[name]), name  # ...and uphill all round
    assert result.global_valley == "d"
    g = np.linspace(-6, 6, 301)
    grid = gd.loss_and_grad(np.stack(np.meshgrid(g, g), -1))[0]  # (301, 301)
    assert grid.min() >= result.minima_loss["d"] - 1e-9  # nothing on the map is lower than d
    assert result.minima_loss["a"] > result.minima_loss["d"] + 2  # a is a shallow trap


def test_sgd_stops_in_a_local_minimum_the_others_reach_the_global_one(result):
    for path in result.paths.values():
        assert np.array_equal(path[0], gd.START)
    assert result.ended_in == {"sgd": "a", "momentum": "d", "adam": "d"}
    assert np.allclose(result.paths["sgd"][-1], result.minima["a"], atol=1e-3)
    for name in ("momentum", "adam"):
        assert np.allclose(result.paths[name][-1], result.minima["d"], atol=1e-3)
        assert result.losses[name][-1] == pytest.approx(result.minima_loss["d"], abs=1e-5)
    # stuck for good: SGD's last 100 steps do not move
    assert np.ptp(result.paths["sgd"][-100:], axis=0).max() < 1e-6


def test_outcome_is_not_a_knife_edge():
    """Nearby learning rates tell the same story, so the lesson does not hang on one lucky number."""
    minima = gd.valley_minima()
    for factor in (0.8, 1.25):
        for name, valley in (("sgd", "a"), ("momentum", "d"), ("adam", "d")):
            end = gd.descend(name, lr=gd.OPTIMIZERS[name] * factor)[-1]
            assert np.linalg.norm(end - minima[valley]) < 0.05, (name, factor)


def test_key_numbers(result):
    nums = gd.key_numbers(result)
    assert nums["global_valley"] == "d"
    assert nums["optimizers"]["sgd"]["valley"] == "a"
    assert nums["optimizers"]["adam"]["loss"] == pytest.approx(nums["minima"]["d"]["loss"], abs=1e-5)
