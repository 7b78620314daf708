"""kill -9 at random moments never leaves a run that --resume trips over, and the resumed run ends with
the very weights of a run that was never interrupted (checkpoints and metrics are written atomically),
and the very steps.csv (whole lines only; the rows after the checkpoint are written again, once)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from nnzero.callbacks.runlog import read_rows
from nnzero.callbacks.steps import read_steps
from nnzero.training.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[2]
EPOCHS = 6
TRAIN = ["--model", "mlp128", "--limit", "3000", "--epochs", str(EPOCHS), "--quiet"]


def nnzero(*args: str) -> list[str]:
    return [sys.executable, "-m", "nnzero", *args]


def env() -> dict:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
    }


@pytest.mark.slow  # trains about eight times for a few seconds
def test_sigkill_at_random_moments_then_resume_gives_the_same_weights(tmp_path):
    train = TRAIN
    straight = subprocess.run(
        nnzero("train", "mnist", *train, "--runs-dir", str(tmp_path), "--name", "straight"),
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert straight.returncode == 0, straight.stderr
    run = tmp_path / "killed"
    rng = random.Random(14)
    first = nnzero("train", "mnist", *train, "--runs-dir", str(tmp_path), "--name", "killed")
    kills, command = 0, first
    for _ in range(6):
        process = subprocess.Popen(command, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 120
        while not (run / "last.pt").exists() and process.poll() is None and time.time() < deadline:
            time.sleep(0.01)  # before the first last.pt there is nothing to resume from
        time.sleep(rng.uniform(0, 1.5))  # then a random moment: mid-epoch, mid-save, mid-report
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(30)
        command = nnzero("train", "mnist", "--resume", str(run), "--epochs", str(EPOCHS), "--quiet")
        leftovers = [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
        assert load_checkpoint(run / "last.pt")["train_state"]["epoch"] >= 1, leftovers
        epochs = [r["epoch"] for r in read_rows(run / "metrics.csv")]
        assert epochs == list(range(1, len(epochs) + 1))  # whole rows, in order, none doubled
        lines = (run / "steps.csv").read_text().splitlines()
        assert (
            lines[0] == "step,epoch,train_loss,train_accuracy,lr"
            and len(read_steps(run / "steps.csv")) == len(lines) - 1
        )
        steps = [int(line.split(",")[0]) for line in lines[1:]]
        assert steps == list(range(1, len(steps) + 1))  # 66 steps, a row after each: in order, none doubled
    print(f"kills: {kills} of 6 tries (the others found the run already finished)")
    assert kills >= 3
    done = subprocess.run(command, env=env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    a = load_checkpoint(tmp_path / "straight" / "last.pt")
    b = load_checkpoint(run / "last.pt")
    assert a["train_state"]["epoch"] == b["train_state"]["epoch"] == EPOCHS
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key  # bit for bit
    assert [r["epoch"] for r in read_rows(run / "metrics.csv")] == list(range(1, EPOCHS + 1))
    assert (run / "steps.csv").read_text() == (tmp_path / "straight" / "steps.csv").read_text()
