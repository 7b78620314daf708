"""`nnzero scratch toy` and `nnzero scratch train`, run as a user runs them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnzero.cli import main
from nnzero.datasets.base import input_spec
from nnzero.scratch import Sequential


def last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.slow  # tens of thousands of NumPy iterations, or a training in a subprocess (3-8 s)
def test_toy_reproduces_the_course_program(capsys):
    """Same starting weights, same updates: the numbers the course's NumPy program prints
    (/work/shared/baselines/course_numpy_toy.py: 0.0022, 0.9985, 0.9986, 0.9999)."""
    assert main(["scratch", "toy", "--json"]) == 0
    result = last_json(capsys)
    assert result["predictions"] == [0.0022, 0.9985, 0.9986, 0.9999]
    assert result["correct"] and len(result["runs"][0]["errors"]) == 10  # every 10,000 iterations
    assert result["runs"][0]["errors"][0] == pytest.approx(0.5231, abs=1e-4)


@pytest.mark.slow  # tens of thousands of NumPy iterations, or a training in a subprocess (3-8 s)
def test_toy_xor_needs_the_hidden_layer(capsys):
    assert main(["scratch", "toy", "--task", "xor", "--iterations", "30000", "--json"]) == 0
    with_hidden, without = last_json(capsys)["runs"]
    assert with_hidden["correct"] and with_hidden["hidden"] == 4
    assert not without["correct"] and without["hidden"] == 0
    assert max(abs(p - 0.5) for p in without["predictions"]) < 0.05  # stuck at a coin toss


def test_toy_in_chinese(capsys):
    assert main(["--lang", "zh", "scratch", "toy", "--dry-run"]) == 0
    assert "次迭代后的误差" in capsys.readouterr().out


def test_train_dry_run_trains_one_step_and_writes_nothing(tmp_path, monkeypatch, capsys):
    """One real step, then the first 500 real test digits: better than the untrained network, no files."""
    monkeypatch.chdir(tmp_path)
    assert main(["scratch", "train", "mnist", "--model", "softmax", "--dry-run", "--json", "--explain"]) == 0
    result = last_json(capsys)
    assert result["dry_run"] and result["run_dir"] is None and result["checkpoint"] is None
    ## The softmax starts from zero weights: loss ln(10) = 2.3026, accuracy 0.084 (every digit a 0).
    ## One Adam step on 64 digits: measured over seeds 0-3, loss 2.18-2.20 and accuracy 0.26-0.48.
    assert result["train_loss"] == pytest.approx(np.log(10), abs=1e-4)  # the batch's loss before the step
    assert result["test_loss"] < 2.25 and result["test_accuracy"] > 0.2, result
    assert list(tmp_path.iterdir()) == []


def test_train_softmax_writes_a_run_folder(tmp_path, capsys):
    args = ["scratch", "train", "mnist", "--model", "softmax", "--epochs", "2", "--limit", "10000"]
    assert main([*args, "--runs-dir", str(tmp_path), "--name", "sm", "--json", "--explain"]) == 0
    result = last_json(capsys)
    run = tmp_path / "sm"
    assert result["run_dir"] == str(run) and result["checkpoint"] == str(run / "model.npz")
    assert result["test_accuracy"] > 0.88 and result["seconds"] > 0  # measured 0.90
    for name in ("config.json", "metrics.csv", "curves.png", "weights.png", "explain.txt"):
        assert (run / name).stat().st_size > 100, name
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))
    rows = (run / "metrics.csv").read_text().splitlines()
    assert len(rows) == 3 and rows[0].startswith("epoch,train_loss")
    config = json.loads((run / "config.json").read_text())
    assert config["engine"] == "scratch" and config["train"]["epochs"] == 2
    explained = (run / "explain.txt").read_text()
    for phrase in (
        "z = sum of 784 inputs",
        "softmax",
        "loss = -log p(7)",
        "gradient dL/dW",
        "moves it from",
        "parameters: 7,850",
    ):
        assert phrase in explained
    net = Sequential.load(run / "model.npz")
    assert net.meta["metrics"]["test_accuracy"] == result["test_accuracy"]
    assert net.meta["input_spec"] == input_spec("digits", 1, 28, [0.1307], [0.3081])


@pytest.mark.slow  # trains in float64 (about 2 s)
def test_train_mlp_float64_and_weight_pictures(tmp_path, capsys):
    args = [
        "scratch",
        "train",
        "mnist",
        "--model",
        "mlp",
        "--hidden",
        "32",
        "--epochs",
        "1",
        "--limit",
        "3000",
        "--dtype",
        "float64",
        "--optimizer",
        "momentum",
        "--lr",
        "0.02",
    ]
    assert main([*args, "--runs-dir", str(tmp_path), "--name", "m", "--json"]) == 0
    result = last_json(capsys)
    assert result["test_accuracy"] > 0.8 and result["parameters"] == 784 * 32 + 32 + 33 * 10
    assert Sequential.load(tmp_path / "m" / "model.npz").dtype == np.float64
    assert (tmp_path / "m" / "weights.png").stat().st_size > 1000


def test_an_existing_run_is_not_overwritten(tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "model.npz").write_bytes(b"x")
    assert main(["scratch", "train", "mnist", "--runs-dir", str(tmp_path), "--name", "taken"]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["model.npz"]  # nothing added...
    assert (tmp_path / "taken" / "model.npz").read_bytes() == b"x"  # ...and nothing replaced


def test_diverging_training_stops_with_a_message_and_keeps_good_weights(tmp_path, capsys):
    args = ["scratch", "train", "mnist", "--optimizer", "sgd", "--lr", "1e6", "--limit", "2000"]
    with np.errstate(all="ignore"):
        assert main([*args, "--runs-dir", str(tmp_path), "--name", "boom"]) == 2
    err = capsys.readouterr().err
    assert "smaller --lr" in err and "model.npz" in err
    net = Sequential.load(tmp_path / "boom" / "model.npz")
    assert all(np.isfinite(p).all() for p, _ in net.parameters())


@pytest.mark.slow  # tens of thousands of NumPy iterations, or a training in a subprocess (3-8 s)
def test_training_runs_with_torch_unimportable(tmp_path):
    """The engine never needs PyTorch: block `import torch` and train LeNet on real MNIST."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys; sys.modules['torch'] = None\n"  # any `import torch` now raises ImportError
        "from nnzero.cli import main\n"
        f"sys.exit(main(['scratch', 'train', 'mnist', '--model', 'lenet', '--epochs', '1', '--limit', '3000',"
        f" '--batch-size', '64', '--quiet', '--json', '--runs-dir', {str(tmp_path)!r}, '--name', 'no-torch']))"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    ## 47 steps of 64 (the default 128 would make 24); chance is 0.1
    assert json.loads(proc.stdout.strip().splitlines()[-1])["test_accuracy"] > 0.7
