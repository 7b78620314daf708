"""Backprop through a 2-2-1 network: the printed forward values and gradients, checked three ways."""

import numpy as np
import pytest

from nnzero.lessons import backprop as bp


def test_forward_values():
    f = bp.compute().forward
    assert np.allclose(f["z1"], [0.1 * 1 - 0.2 * 0.5 + 0.1, 0.4 * 1 + 0.3 * 0.5 - 0.1])
    assert np.allclose(f["h"], 1 / (1 + np.exp(-f["z1"])))
    assert f["z2"][0] == pytest.approx(0.5 * f["h"][0] - 0.6 * f["h"][1] + 0.2)
    assert float(f["loss"]) == pytest.approx(0.5 * (f["o"][0] - 1) ** 2)
    assert float(f["loss"]) == pytest.approx(0.113284, abs=1e-6)


def test_gradients_match_finite_differences():
    r = bp.compute()
    for k, numeric in r.numeric.items():
        assert np.allclose(r.grads[k], numeric, rtol=1e-6, atol=1e-10), k
    assert r.max_rel_error < 1e-8
    assert r.loss_after_step < float(r.forward["loss"])  # one step downhill helps


@pytest.mark.parametrize("seed", range(5))
def test_random_networks(seed):
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(size=(2, 2)),
        "b1": rng.normal(size=2),
        "W2": rng.normal(size=(1, 2)),
        "b2": rng.normal(size=1),
    }
    r = bp.compute(x=rng.normal(size=2), y=float(rng.integers(0, 2)), params=params)
    assert r.max_rel_error < 1e-6


def test_gradients_match_torch_autograd():
    torch = pytest.importorskip("torch")
    r = bp.compute()
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in r.params.items()}
    x = torch.tensor(bp.X, dtype=torch.float64)
    h = torch.sigmoid(p["W1"] @ x + p["b1"])
    o = torch.sigmoid(p["W2"] @ h + p["b2"])
    loss = 0.5 * ((o - bp.Y) ** 2).sum()
    loss.backward()
    assert loss.item() == pytest.approx(float(r.forward["loss"]))
    for k, t in p.items():
        assert np.allclose(t.grad.numpy(), r.grads["d" + k], atol=1e-12), k


def test_printed_numbers():
    text = "\n".join(bp.explain(bp.compute()))
    assert "0.113284" in text and "-0.118724" in text and "0.101467" in text
