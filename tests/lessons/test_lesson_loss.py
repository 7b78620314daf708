"""0-1, squared and cross-entropy loss: values, slopes, and which one trains."""

import numpy as np
import pytest

from nnzero.lessons import loss


def test_losses_for_the_same_predictions():
    r = loss.compute()
    a = r.predictions
    assert np.array_equal(r.losses["zero_one"], (a < 0.5).astype(float))
    assert np.allclose(r.losses["squared"], (1 - a) ** 2)
    assert np.allclose(r.losses["cross_entropy"], -np.log(a))


def test_slopes_match_finite_differences():
    r = loss.compute()
    eps = 1e-6
    for name in loss.LOSSES:
        up, down = loss.loss_and_grad(name, r.z + eps)[0], loss.loss_and_grad(name, r.z - eps)[0]
        assert np.allclose(r.grads[name], (up - down) / (2 * eps), atol=1e-7), name
    assert np.all(r.grads["zero_one"] == 0)  # flat: nothing to follow


def test_cross_entropy_pushes_harder_when_wrong():
    r = loss.compute()
    ce, sq = np.abs(r.grads["cross_entropy"]), np.abs(r.grads["squared"])
    assert np.all(ce > sq)
    worst = int(np.argmin(r.predictions))  # a = 0.01: confidently wrong
    assert ce[worst] == pytest.approx(0.99)
    assert ce[worst] / sq[worst] > 50
    # the squared loss's push is smaller when confidently wrong (a = 0.01) than when nearly right (a = 0.4)
    assert sq[worst] < sq[list(r.predictions).index(0.4)]


def test_training_race():
    steps = loss.compute().steps_to_correct
    assert steps["zero_one"] is None
    assert steps["cross_entropy"] is not None and steps["squared"] is not None
    assert steps["cross_entropy"] * 10 < steps["squared"]
    assert loss.key_numbers(loss.compute())["steps_to_correct"] == steps
