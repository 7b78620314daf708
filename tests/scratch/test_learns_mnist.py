"""A seeded small network really learns real MNIST; a diverging run stops and keeps good weights."""

from __future__ import annotations

import numpy as np
import pytest

from nnzero.datasets.mnist import load_arrays
from nnzero.scratch import SGD, Adam, SoftmaxCrossEntropy
from nnzero.scratch.trainer import TrainingDiverged, evaluate, normalise, train_epoch
from nnzero.scratch.zoo import build


@pytest.fixture(scope="module")
def mnist():
    (xi, y), (ti, ty) = load_arrays("train"), load_arrays("test")
    return normalise(xi[:6000], 0.1307, 0.3081), y[:6000], normalise(ti[:2000], 0.1307, 0.3081), ty[:2000]


def train(net, data, epochs, lr, batch_size=64):
    x, y, xt, yt = data
    loss_fn, rng = SoftmaxCrossEntropy(), np.random.default_rng(0)
    opt = Adam(net.parameters(), lr=lr)
    before = evaluate(net, loss_fn, xt, yt)
    for _ in range(epochs):
        train_epoch(net, loss_fn, opt, x, y, batch_size, rng)
    return before, evaluate(net, loss_fn, xt, yt)


def test_mlp_learns_an_mnist_subset(mnist):
    (loss0, acc0), (loss1, acc1) = train(build("mlp", hidden=(64,), seed=0), mnist, epochs=3, lr=2e-3)
    assert acc0 < 0.3  # chance, before training
    assert acc1 > 0.87, acc1  # 6,000 images, 3 epochs; measured 0.89-0.90 (torch, same setup: 0.905)
    assert loss1 < loss0 / 5


@pytest.mark.slow  # 94 LeNet steps in NumPy (about 2 s)
def test_lenet_learns_an_mnist_subset(mnist):
    x, y, xt, yt = mnist
    _, (_, acc) = train(build("lenet", seed=0), (x[:3000], y[:3000], xt, yt), epochs=2, lr=2e-3)
    assert acc > 0.87, acc  # 94 steps; measured 0.90-0.91 over three seeds


def test_training_is_reproducible(mnist):
    x, y, xt, yt = mnist
    small = (x[:1000], y[:1000], xt[:200], yt[:200])
    runs = [train(build("mlp", hidden=(32,), seed=3), small, epochs=1, lr=1e-3)[1] for _ in range(2)]
    assert runs[0] == runs[1]


def test_nan_loss_stops_and_keeps_the_last_good_weights(mnist):
    x, y, _, _ = mnist
    net = build("mlp", hidden=(32,), seed=0)
    opt = SGD(net.parameters(), lr=1e5)  # far too large: the weights blow up within a few steps
    snapshots = [net.state()]
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged, match=r"smaller --lr") as info:
        train_epoch(
            net,
            SoftmaxCrossEntropy(),
            opt,
            x,
            y,
            64,
            np.random.default_rng(0),
            on_batch=lambda b, loss: snapshots.append(net.state()),
        )
    assert "step" in str(info.value)
    ## The loss of step t was not finite; step t-1 had a finite loss with the weights
    ## saved before it (snapshots[-2]); those are the ones kept.
    assert len(snapshots) >= 2
    for name, param, _ in net.named_parameters():
        assert np.isfinite(param).all()
        np.testing.assert_array_equal(param, snapshots[-2][name])
