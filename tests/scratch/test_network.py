"""Sequential: the contract, saving and loading, and errors that name the layer and the shapes."""

from __future__ import annotations

import numpy as np
import pytest

from nnzero.errors import CheckpointError
from nnzero.scratch import (
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    ShapeError,
    SoftmaxCrossEntropy,
)
from nnzero.scratch.zoo import build


def test_params_and_grads_have_the_same_keys_and_shapes():
    for name in ("softmax", "mlp", "lenet"):
        for layer in build(name).layers:
            assert layer.params.keys() == layer.grads.keys()
            for key in layer.params:
                assert layer.params[key].shape == layer.grads[key].shape


def test_layouts_follow_pytorch():
    assert Linear(784, 128).params["W"].shape == (784, 128)
    assert Conv2d(1, 6, 5).params["W"].shape == (6, 1, 5, 5)
    lenet = build("lenet")
    assert lenet.num_parameters() == 61_706  # the same count as torch's LeNet-5
    assert [row[1] for row in lenet.summary((1, 28, 28))][:6] == [
        (6, 28, 28),
        (6, 28, 28),
        (6, 14, 14),
        (16, 10, 10),
        (16, 10, 10),
        (16, 5, 5),
    ]


def test_backward_accumulates_until_zero_grad(rng):
    net = Sequential(Flatten(), Linear(12, 3, dtype=np.float64, rng=rng))
    loss_fn = SoftmaxCrossEntropy()
    x, y = rng.standard_normal((4, 3, 2, 2)), np.array([0, 1, 2, 0])
    loss_fn.forward(net.forward(x), y)
    net.backward(loss_fn.backward())
    once = [g.copy() for _, g in net.parameters()]
    net.backward(loss_fn.backward())
    for g, g1 in zip((g for _, g in net.parameters()), once, strict=True):
        np.testing.assert_allclose(g, 2 * g1)
    net.zero_grad()
    assert all(not g.any() for _, g in net.parameters())


def test_save_and_load_round_trip(tmp_path, rng):
    net = Sequential(
        Conv2d(1, 2, 3, padding=1, rng=rng),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Dropout(0.2),
        Linear(2 * 4 * 4, 10, rng=rng),
        meta={"model": "test", "accuracy": 0.5},
    )
    path = net.save(tmp_path / "net.npz")
    loaded = Sequential.load(path)
    assert loaded.meta == {"model": "test", "accuracy": 0.5}
    assert loaded.architecture() == net.architecture()
    assert [type(a) for a in loaded.layers] == [type(b) for b in net.layers]
    x = rng.standard_normal((3, 1, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))
    assert repr(loaded) == repr(net)


def test_float64_round_trip(tmp_path):
    net = build("mlp", dtype=np.float64, hidden=(16,))
    loaded = Sequential.load(net.save(tmp_path / "f64.npz"))
    assert loaded.dtype == np.float64


def test_loading_something_else_fails_clearly(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(CheckpointError, match="not a scratch network"):
        Sequential.load(bad)
    np.savez(tmp_path / "other.npz", W=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a scratch network"):
        Sequential.load(tmp_path / "other.npz")


def test_load_state_checks_shapes():
    net = build("mlp", hidden=(8,))
    with pytest.raises(CheckpointError, match=r"1\.W.*\(784, 8\).*\(784, 9\)"):
        net.load_state({**net.state(), "1.W": np.zeros((784, 9), np.float32)})


@pytest.mark.parametrize(
    ("layer", "x", "pattern"),
    [
        (
            Linear(784, 10),
            np.zeros((2, 1, 28, 28), np.float32),
            r"Linear\(784 -> 10\).*\(N, 784\).*\(2, 1, 28, 28\).*Flatten",
        ),
        (Linear(4, 2), np.zeros((3, 5), np.float32), r"Linear\(4 -> 2\).*\(N, 4\).*\(3, 5\)"),
        (Conv2d(1, 6, 5), np.zeros((2, 3, 28, 28), np.float32), r"Conv2d.*\(N, 1, H, W\).*\(2, 3, 28, 28\)"),
        (Conv2d(1, 6, 5), np.zeros((2, 1, 3, 3), np.float32), r"H, W >= 5.*\(2, 1, 3, 3\)"),
        (MaxPool2d(2), np.zeros((2, 8), np.float32), r"MaxPool2d.*\(2, 8\)"),
        (Linear(4, 2), np.zeros((3, 4)), r"Linear\(4 -> 2\).*float64.*float32"),
        (ReLU(), np.zeros((3, 4), np.uint8), r"ReLU.*uint8"),
        (Linear(4, 2), [[1.0, 2.0, 3.0, 4.0]], r"NumPy array.*list"),
    ],
    ids=[
        "linear-needs-flatten",
        "linear-width",
        "conv-channels",
        "conv-too-small",
        "pool-ndim",
        "dtype",
        "integer-input",
        "not-an-array",
    ],
)
def test_bad_input_names_layer_and_shapes(layer, x, pattern):
    with pytest.raises(ShapeError, match=pattern):
        layer.forward(x)


def test_bad_dout_and_targets_are_named():
    layer = Linear(4, 2)
    layer.forward(np.zeros((3, 4), np.float32))
    with pytest.raises(ShapeError, match=r"dout of shape \(3, 3\).*\(3, 2\)"):
        layer.backward(np.zeros((3, 3), np.float32))
    loss_fn = SoftmaxCrossEntropy()
    with pytest.raises(ShapeError, match=r"targets must have shape \(3,\)"):
        loss_fn.forward(np.zeros((3, 10)), np.zeros(4, np.int64))
    with pytest.raises(ShapeError, match=r"class numbers 0\.\.9"):
        loss_fn.forward(np.zeros((3, 10)), np.array([0, 10, 2]))
    with pytest.raises(ShapeError, match=r"class numbers"):
        loss_fn.forward(np.zeros((3, 10)), np.array([0.0, 1.0, 2.0]))


def test_errors_speak_chinese_too():
    from nnzero.i18n import set_lang

    set_lang("zh")
    try:
        with pytest.raises(ShapeError, match="输入形状应为"):
            Linear(4, 2).forward(np.zeros((3, 5), np.float32))
    finally:
        set_lang(None)
