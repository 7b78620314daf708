"""Every layer and activation against PyTorch autograd: same inputs, same weights, forward and backward."""

from __future__ import annotations

import numpy as np
import pytest

from nnzero.scratch import Conv2d, Dropout, Flatten, LeakyReLU, Linear, MaxPool2d, ReLU, Sigmoid, Tanh

torch = pytest.importorskip("torch")
F = torch.nn.functional
ATOL = 1e-8  # forward and backward must agree with PyTorch this closely, in float64


def torch_run(fn, x, params, dout):
    """Output and gradients (input first, then params) of fn(x, *params) under PyTorch autograd."""
    tx = torch.tensor(x, requires_grad=True)
    tparams = [torch.tensor(p, requires_grad=True) for p in params]
    out = fn(tx, *tparams)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), [t.grad.numpy() for t in (tx, *tparams)]


def compare(layer, x, fn, param_keys, rng):
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    want_out, want_grads = torch_run(fn, x, [layer.params[k] for k in param_keys], dout)
    np.testing.assert_allclose(out, want_out, rtol=0, atol=ATOL)
    np.testing.assert_allclose(dx, want_grads[0], rtol=0, atol=ATOL)
    for key, want in zip(param_keys, want_grads[1:], strict=True):
        np.testing.assert_allclose(layer.grads[key], want, rtol=0, atol=ATOL, err_msg=key)


def test_linear(rng):
    layer = Linear(7, 5, dtype=np.float64, rng=rng)
    layer.params["b"][:] = rng.standard_normal(5)
    ## Our W is (in, out); torch's F.linear wants (out, in), hence the transpose.
    compare(layer, rng.standard_normal((4, 7)), lambda x, W, b: F.linear(x, W.T, b), ["W", "b"], rng)


def test_linear_without_bias(rng):
    layer = Linear(3, 4, bias=False, dtype=np.float64, rng=rng)
    assert set(layer.params) == set(layer.grads) == {"W"}
    compare(layer, rng.standard_normal((6, 3)), lambda x, W: x @ W, ["W"], rng)


@pytest.mark.parametrize(
    ("c_in", "c_out", "k", "stride", "padding", "size"),
    [
        (1, 6, 5, 1, 2, 28),  # LeNet's first layer
        (6, 16, 5, 1, 0, 14),  # LeNet's second layer
        (3, 4, 3, 2, 1, 9),  # stride and padding together, odd size
        (2, 3, 3, 2, 0, 8),  # stride that does not divide the size evenly
        (2, 2, 1, 1, 0, 5),  # 1x1 convolution
    ],
)
def test_conv2d(rng, c_in, c_out, k, stride, padding, size):
    layer = Conv2d(c_in, c_out, k, stride=stride, padding=padding, dtype=np.float64, rng=rng)
    layer.params["b"][:] = rng.standard_normal(c_out)
    x = rng.standard_normal((3, c_in, size, size + 1))  # not square, to catch H/W mix-ups
    compare(layer, x, lambda x, W, b: F.conv2d(x, W, b, stride=stride, padding=padding), ["W", "b"], rng)


def test_conv2d_accepts_a_transposed_view(rng):
    """Conv2d hands on views whose memory is not (N, C, H, W); any layout must give the same numbers."""
    layer = Conv2d(2, 3, 3, padding=1, dtype=np.float64, rng=rng)
    x = np.ascontiguousarray(rng.standard_normal((5, 5, 4, 2)).transpose(2, 3, 0, 1))  # (4, 2, 5, 5)
    x_odd = rng.standard_normal((5, 5, 4, 2)).transpose(2, 3, 0, 1)  # same shape, strange strides
    x_odd[...] = x
    np.testing.assert_allclose(layer.forward(x_odd), layer.forward(x), rtol=0, atol=ATOL)


@pytest.mark.parametrize(("k", "stride", "size"), [(2, 2, 8), (2, 2, 7), (3, 2, 9), (3, 1, 6)])
def test_maxpool2d(rng, k, stride, size):
    x = rng.standard_normal((2, 3, size, size))
    compare(MaxPool2d(k, stride), x, lambda x: F.max_pool2d(x, k, stride), [], rng)


def test_maxpool2d_ties_go_to_the_first_as_in_torch(rng):
    """After ReLU whole windows are 0: the gradient must go to one place only, the first."""
    x = np.maximum(rng.standard_normal((2, 2, 6, 6)), 0)
    x[0, 0, :2, :2] = 0.0
    x[1, 1, 2:4, 2:4] = 0.7
    compare(MaxPool2d(2), x, lambda x: F.max_pool2d(x, 2), [], rng)


@pytest.mark.parametrize(
    ("layer", "fn"),
    [
        (ReLU(), F.relu),
        (LeakyReLU(0.1), lambda x: F.leaky_relu(x, 0.1)),
        (Sigmoid(), torch.sigmoid),
        (Tanh(), torch.tanh),
        (Flatten(), lambda x: x.flatten(1)),
    ],
    ids=["relu", "leaky_relu", "sigmoid", "tanh", "flatten"],
)
def test_elementwise_and_flatten(rng, layer, fn):
    x = rng.standard_normal((4, 3, 5, 2)) * 3
    compare(layer, x, fn, [], rng)


def test_sigmoid_is_stable_for_huge_inputs():
    with np.errstate(over="raise", invalid="raise"):  # no overflow (underflow to 0 is fine)
        out = Sigmoid().forward(np.array([[-1000.0, 0.0, 1000.0]]))
    np.testing.assert_allclose(out, [[0.0, 0.5, 1.0]])


def test_dropout_matches_torch_given_the_same_mask(rng):
    layer = Dropout(0.3, seed=5)
    x = rng.standard_normal((50, 40))
    out = layer.forward(x)
    kept = out != 0
    ## PyTorch's dropout is x * mask / (1 - p); with our mask the two must agree.
    compare_fn = lambda x: x * torch.tensor(kept) / (1 - 0.3)  # noqa: E731
    layer.rng = np.random.default_rng(5)  # replay the same mask
    compare(layer, x, compare_fn, [], rng)
    assert 0.6 < kept.mean() < 0.8  # about 1 - p kept
    layer.training = False
    np.testing.assert_array_equal(layer.forward(x), x)  # evaluation: the identity
    np.testing.assert_array_equal(layer.backward(x), x)


def test_float32_is_the_default_and_float64_on_request(rng):
    assert Linear(3, 2).params["W"].dtype == np.float32
    assert Conv2d(1, 2, 3).params["W"].dtype == np.float32
    assert Linear(3, 2, dtype=np.float64).params["b"].dtype == np.float64
    layer = Conv2d(1, 2, 3, padding=1)
    out = layer.forward(rng.standard_normal((2, 1, 5, 5)).astype(np.float32))
    assert out.dtype == np.float32
    assert layer.backward(np.ones(out.shape, np.float32)).dtype == np.float32
