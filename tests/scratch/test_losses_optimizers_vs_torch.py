"""Losses and optimizer steps against PyTorch, in float64."""

from __future__ import annotations

import numpy as np
import pytest

from nnzero.scratch import SGD, Adam, BinaryCrossEntropy, Momentum, RMSprop, SoftmaxCrossEntropy, SquaredError

torch = pytest.importorskip("torch")
F = torch.nn.functional
ATOL = 1e-8


def torch_loss(fn, logits, targets):
    t = torch.tensor(logits, requires_grad=True)
    loss = fn(t, torch.tensor(targets))
    loss.backward()
    return loss.item(), t.grad.numpy()


def check_loss(loss_fn, logits, targets, torch_fn):
    value = loss_fn.forward(logits, targets)
    dlogits = loss_fn.backward()
    want_value, want_grad = torch_loss(torch_fn, logits, targets)
    assert abs(value - want_value) <= ATOL
    np.testing.assert_allclose(dlogits, want_grad, rtol=0, atol=ATOL)


@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["normal", "huge-logits"])
def test_softmax_cross_entropy(rng, scale):
    logits = rng.standard_normal((8, 10)) * scale  # huge logits would overflow a naive exp
    targets = rng.integers(0, 10, 8)
    check_loss(SoftmaxCrossEntropy(), logits, targets, F.cross_entropy)


def test_squared_error(rng):
    ## Ours is 1/2 * sum over outputs, mean over the batch; torch's mse_loss is a mean over every value.
    logits, targets = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    check_loss(SquaredError(), logits, targets, lambda z, t: 0.5 * F.mse_loss(z, t, reduction="sum") / len(z))


@pytest.mark.parametrize("scale", [1.0, 500.0], ids=["normal", "huge-logits"])
def test_binary_cross_entropy(rng, scale):
    logits = rng.standard_normal((7, 2)) * scale
    targets = rng.integers(0, 2, (7, 2)).astype(np.float64)
    check_loss(
        BinaryCrossEntropy(),
        logits,
        targets,
        lambda z, t: F.binary_cross_entropy_with_logits(z, t, reduction="sum") / len(z),
    )


OPTIMIZERS = [
    (SGD, {"lr": 0.1}, torch.optim.SGD, {"lr": 0.1}),
    (SGD, {"lr": 0.1, "weight_decay": 0.01}, torch.optim.SGD, {"lr": 0.1, "weight_decay": 0.01}),
    (
        Momentum,
        {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.001},
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.001},
    ),
    (
        RMSprop,
        {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.001},
        torch.optim.RMSprop,
        {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.001},
    ),
    (Adam, {"lr": 0.01}, torch.optim.Adam, {"lr": 0.01}),
    (
        Adam,
        {"lr": 0.003, "betas": (0.8, 0.99), "weight_decay": 0.01},
        torch.optim.Adam,
        {"lr": 0.003, "betas": (0.8, 0.99), "weight_decay": 0.01},
    ),
]


@pytest.mark.parametrize(
    ("ours", "kwargs", "theirs", "torch_kwargs"),
    OPTIMIZERS,
    ids=[f"{o[0].__name__}-{i}" for i, o in enumerate(OPTIMIZERS)],
)
def test_optimizer_steps_match_torch(rng, ours, kwargs, theirs, torch_kwargs):
    params = [rng.standard_normal((4, 3)), rng.standard_normal(3)]
    grads = [np.zeros_like(p) for p in params]
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    opt, topt = ours(list(zip(params, grads, strict=True)), **kwargs), theirs(tparams, **torch_kwargs)
    for _ in range(5):  # several steps, so the running averages and bias corrections are exercised
        new = [rng.standard_normal(p.shape) for p in params]
        opt.zero_grad()
        for g, n in zip(grads, new, strict=True):
            g += n
        for t, n in zip(tparams, new, strict=True):
            t.grad = torch.tensor(n)
        opt.step()
        topt.step()
        for p, t in zip(params, tparams, strict=True):
            np.testing.assert_allclose(p, t.detach().numpy(), rtol=0, atol=ATOL)


def test_optimizer_keeps_float32(rng):
    p = rng.standard_normal(5).astype(np.float32)
    g = np.ones_like(p)
    opt = Adam([(p, g)], lr=1e-3, weight_decay=1e-4)
    opt.step()
    assert p.dtype == np.float32 and opt.m[0].dtype == np.float32
