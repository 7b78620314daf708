"""Activation slopes and the vanishing gradient through 5 and 10 stacked layers."""

import numpy as np
import pytest

from nnzero.lessons import activations as act


def _finite_difference(name, x0, depth, eps=1e-4):
    return (act.stack_output(name, x0 + eps, depth) - act.stack_output(name, x0 - eps, depth)) / (2 * eps)


def test_slopes_match_finite_differences_and_known_maxima():
    r = act.compute()
    for name, (f, _) in act.FUNCTIONS.items():
        x = r.x[np.abs(r.x) > 1e-3]  # ReLU has no slope at 0 itself
        numeric = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6
        assert np.allclose(act.FUNCTIONS[name][1](x), numeric, atol=1e-6), name
    assert r.max_slope["sigmoid"] == pytest.approx(0.25)
    assert r.max_slope["tanh"] == pytest.approx(1.0)
    assert r.max_slope["relu"] == 1.0


@pytest.mark.parametrize("depth", [5, 10])
def test_chain_rule_product_is_the_true_gradient_of_the_stack(depth):
    r = act.compute()
    for name in ("sigmoid", "tanh", "relu"):
        assert r.products[name][depth - 1] == pytest.approx(_finite_difference(name, r.x0, depth), rel=1e-5)


def test_vanishing_gradient_magnitudes():
    p = act.compute().products
    # every sigmoid layer multiplies by at most 0.25
    assert 0 < p["sigmoid"][4] < 0.25**5 and 0 < p["sigmoid"][9] < 0.25**10
    assert p["sigmoid"][4] == pytest.approx(6.08e-4, rel=1e-3)
    assert p["sigmoid"][9] == pytest.approx(3.48e-7, rel=1e-3)
    assert p["sigmoid"][9] < 1e-6  # less than a millionth left after 10 layers
    # ReLU passes the gradient through untouched; tanh shrinks it, far less than sigmoid
    assert p["relu"][4] == p["relu"][9] == 1.0
    assert p["sigmoid"][9] < p["tanh"][9] < 1


def test_key_numbers_and_text():
    r = act.compute()
    nums = act.key_numbers(r)
    assert nums["gradient_through_stack"]["10"]["relu"] == 1.0
    assert nums["sigmoid_bound"]["5"] == 0.25**5
    assert "6.080e-04" in "\n".join(act.explain(r))
