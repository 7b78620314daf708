"""Finite differences, no torch: every backward against the slope of its own forward."""

from __future__ import annotations

import numpy as np
import pytest

from nnzero.scratch import (
    BinaryCrossEntropy,
    Conv2d,
    Flatten,
    LeakyReLU,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    Sigmoid,
    SoftmaxCrossEntropy,
    SquaredError,
    Tanh,
    check_layer,
    check_network,
    relative_error,
)

TOL = 1e-6  # relative error; a wrong backward gives ~1, float64 central differences ~1e-9


def layers(rng):
    f64 = {"dtype": np.float64, "rng": rng}
    return [
        (Linear(6, 4, **f64), (3, 6)),
        (Conv2d(2, 3, 3, stride=2, padding=1, **f64), (2, 2, 7, 6)),
        (Conv2d(3, 2, 2, **f64), (2, 3, 5, 5)),
        (MaxPool2d(2), (2, 3, 6, 6)),
        (MaxPool2d(3, 2), (2, 2, 7, 7)),
        (ReLU(), (4, 5)),
        (LeakyReLU(0.2), (4, 5)),
        (Sigmoid(), (4, 5)),
        (Tanh(), (4, 5)),
        (Flatten(), (2, 3, 4)),
    ]


@pytest.mark.parametrize("index", range(10))
def test_layer_backward_matches_finite_differences(rng, index):
    layer, shape = layers(rng)[index]
    x = rng.standard_normal(shape)
    errors = check_layer(layer, x)
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < TOL, errors


def test_a_wrong_backward_is_caught(rng):
    """The check must be able to fail: a ReLU whose backward forgets the mask."""

    class BrokenReLU(ReLU):
        def _backward(self, dout):
            return dout

    assert check_layer(BrokenReLU(), rng.standard_normal((4, 5)))["x"] > 0.1


@pytest.mark.parametrize(
    ("loss_fn", "targets"),
    [
        (SoftmaxCrossEntropy(), np.array([0, 2, 1, 2])),
        (SquaredError(), np.linspace(-1, 1, 12).reshape(4, 3)),
        (BinaryCrossEntropy(), np.array([[1.0, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]])),
    ],
    ids=["softmax-ce", "squared", "bce"],
)
def test_whole_network_with_each_loss(rng, loss_fn, targets):
    f64 = {"dtype": np.float64, "rng": rng}
    net = Sequential(
        Conv2d(1, 2, 3, padding=1, **f64),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(2 * 3 * 3, 5, **f64),
        Tanh(),
        Linear(5, 3, **f64),
    )
    errors = check_network(net, loss_fn, rng.standard_normal((4, 1, 6, 6)), targets)
    assert len(errors) == 6 and max(errors.values()) < TOL, errors


def test_input_gradient_of_a_network(rng):
    """need_dx=True gives dL/dx for the whole stack (saliency maps use it)."""
    f64 = {"dtype": np.float64, "rng": rng}
    net = Sequential(Conv2d(1, 2, 3, **f64), Sigmoid(), Flatten(), Linear(2 * 3 * 3, 2, **f64))
    x, y = rng.standard_normal((2, 1, 5, 5)), np.array([1, 0])
    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(net.forward(x), y)
    dx = net.backward(loss_fn.backward(), need_dx=True)
    assert net.backward(loss_fn.backward()) is None  # the default skips it
    from nnzero.scratch import numerical_gradient

    want = numerical_gradient(lambda: loss_fn.forward(net.forward(x), y), x)
    assert relative_error(dx, want) < TOL
