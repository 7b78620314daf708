"""`nnzero scratch export`: the PyTorch twin computes the same logits, and the rest of nnzero can use it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnzero.cli import main
from nnzero.datasets.base import input_spec
from nnzero.datasets.mnist import load_arrays
from nnzero.scratch import Sequential
from nnzero.scratch.trainer import normalise

torch = pytest.importorskip("torch")


def train_scratch(runs, name: str, *options: str, limit: int = 500) -> int:
    """``nnzero scratch train mnist`` for one epoch on the first ``limit`` images, into runs/name."""
    return main(
        ["scratch", "train", "mnist", *options, "--epochs", "1", "--limit", str(limit),
         "--runs-dir", str(runs), "--name", name]
    )  # fmt: skip


@pytest.fixture(scope="module")
def test_images():
    images, labels = load_arrays("test")
    return normalise(images[:500], 0.1307, 0.3081), labels[:500]


@pytest.mark.parametrize(
    ("model", "registered"),
    [
        ("softmax", "softmax"),
        pytest.param("mlp", "mlp128", marks=pytest.mark.slow),  # trains 2,000 images: 2-4 s
        pytest.param("lenet", "lenet5", marks=pytest.mark.slow),
    ],
)
def test_exported_model_gives_the_same_logits(tmp_path, capsys, test_images, model, registered):
    from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint

    assert train_scratch(tmp_path, model, "--model", model, "--quiet", limit=2000) == 0
    out = tmp_path / f"{model}.pt"
    assert main(["scratch", "export", str(tmp_path / model), "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["model_name"] == registered and result["max_logit_difference"] < 1e-4

    ckpt = load_checkpoint(out)  # weights_only=True inside
    assert ckpt["model_name"] == registered and ckpt["classes"] == [str(d) for d in range(10)]
    assert ckpt["input_spec"] == input_spec("digits", 1, 28, [0.1307], [0.3081])
    torch_model = model_from_checkpoint(ckpt)
    x, _ = test_images
    net = Sequential.load(tmp_path / model / "model.npz")
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(theirs, net.predict(x), rtol=0, atol=1e-4)
    assert (theirs.argmax(1) == net.predict(x).argmax(1)).all()


@pytest.mark.slow  # trains a NumPy network first (about 2 s)
def test_nnzero_evaluate_agrees_with_the_scratch_run(tmp_path, capsys):
    assert train_scratch(tmp_path, "s", "--model", "softmax", "--json", limit=5000) == 0
    scratch_accuracy = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["test_accuracy"]
    assert main(["scratch", "export", str(tmp_path / "s"), "--out", str(tmp_path / "s.pt")]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "s.pt"), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert evaluated["images"] == 10_000
    assert abs(evaluated["test_accuracy"] - scratch_accuracy) <= 2e-4  # float32 rounding may flip a tie


@pytest.mark.slow  # trains a NumPy network first (about 2 s)
def test_a_network_without_a_registered_twin_is_refused(tmp_path, capsys):
    assert train_scratch(tmp_path, "odd", "--hidden", "32", "--quiet") == 0
    assert main(["scratch", "export", str(tmp_path / "odd"), "--out", str(tmp_path / "odd.pt")]) == 2
    assert "no registered PyTorch model has the layers" in capsys.readouterr().err
    assert not (tmp_path / "odd.pt").exists()


@pytest.mark.slow  # trains a NumPy network first (about 2 s)
def test_export_dry_run_writes_nothing(tmp_path, capsys):
    assert train_scratch(tmp_path, "l", "--model", "lenet", "--quiet") == 0
    assert main(["scratch", "export", str(tmp_path / "l" / "model.npz"), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["checkpoint"] is None
    assert not (tmp_path / "l" / "model.pt").exists()
