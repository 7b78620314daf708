"""Data-parallel training with DDP over gloo on the CPU, two processes on 127.0.0.1, real MNIST.

Two ranks with batch 50 each must train exactly like one process with batch 100: same
shards of the data, same weights on both ranks, same weights as the single process (up
to float rounding), same logged metrics. Only rank 0 writes; a dead or hung rank ends
the other with an error.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from nnzero.callbacks.runlog import read_rows
from nnzero.callbacks.steps import read_steps
from nnzero.cli import build_parser, main
from nnzero.config import DataConfig, ModelConfig, TrainConfig
from nnzero.errors import NnzeroError
from nnzero.training import distributed, loop
from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint
from nnzero.training.launch import worker_argv
from nnzero.training.trainer import Trainer

REPO = Path(__file__).resolve().parents[2]
DATA = DataConfig(limit=2000)  # 1,800 training and 200 validation images of real MNIST
# unknown_coverage=0: rank 0 alone would read one more training batch for the unknown answer's bank
TRAIN = TrainConfig(
    epochs=2, batch_size=100, lr=2e-3, schedule="onecycle", optimizer="adam", unknown_coverage=0.0
)
MODEL = ModelConfig("mlp128")  # no batch norm, no dropout: nothing random or per-rank in a step
TOLERANCE = 1e-5  # measured: float rounding leaves 2e-8; ignoring rank 1's gradients moves weights 3e-2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_env(rank: int, port: int, world: int = 2, timeout: int = 60) -> dict:
    """What torchrun would set for one worker on this machine."""
    return {
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
        "RANK": str(rank),
        "WORLD_SIZE": str(world),
        "LOCAL_RANK": str(rank),
        "LOCAL_WORLD_SIZE": str(world),
        "NNZERO_DIST_TIMEOUT": str(timeout),
    }


def _rank_main(rank: int, port: int, out: str) -> None:
    """One of two workers: train under DDP, record the images it trained on and its final weights."""
    os.environ.update(_rank_env(rank, port))
    torch.set_num_threads(1)
    with distributed.session():
        run_dir = Path(out) / f"run{rank}"  # rank 1 gets its own folder: it must stay empty
        run_dir.mkdir()
        trainer = Trainer(DATA, MODEL, TRAIN, run_dir, say=print, progress=False, rank=rank, world=2)
        assert isinstance(trainer.net, torch.nn.parallel.DistributedDataParallel)
        seen, real_batch = [], trainer.tensors["train"].batch

        def recording_batch(index, *args, **kwargs):
            seen.append(index.clone())
            return real_batch(index, *args, **kwargs)

        trainer.tensors["train"].batch = recording_batch
        trainer.fit()
        torch.save({"seen": seen, "state": trainer.model.state_dict()}, f"{out}/rank{rank}.pt")
        ## the DDP model holds the group: free it while the interpreter is whole, before the group is
        ## destroyed, not in the spawned process's teardown, where gloo's threads can abort
        del trainer, recording_batch
        gc.collect()


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    """Two ranks trained together (about 15 s on 2 cores); their records and rank 0's run folder."""
    out = tmp_path_factory.mktemp("ddp")
    mp.spawn(_rank_main, args=(_free_port(), str(out)), nprocs=2, join=True)
    return out


def _max_diff(a: dict, b: dict) -> float:
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


def _single(tmp_path, name: str, rank: int = 0, world: int = 1) -> Trainer:
    """One process, one thread (as each rank has): two threads crawl when other jobs share the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train_alone(tmp_path, name, rank, world)
    finally:
        torch.set_num_threads(threads)


def _train_alone(tmp_path, name: str, rank: int, world: int) -> Trainer:
    (tmp_path / name).mkdir()
    trainer = Trainer(
        DATA, MODEL, TRAIN, tmp_path / name, say=lambda m: None, progress=False, rank=rank, world=world
    )
    trainer.fit()
    return trainer


@pytest.mark.slow  # trains with two processes (or waits out a timeout): 5-20 s
def test_the_ranks_train_on_disjoint_shards_that_cover_the_data(ddp_run):
    r0, r1 = (torch.load(ddp_run / f"rank{r}.pt") for r in (0, 1))
    assert len(r0["seen"]) == len(r1["seen"]) == 2 * 18  # 2 epochs of 1800 / 100 global batches
    for epoch in range(2):
        a = torch.cat(r0["seen"][epoch * 18 : (epoch + 1) * 18])
        b = torch.cat(r1["seen"][epoch * 18 : (epoch + 1) * 18])
        assert len(a) == len(b) == 900 and not set(a.tolist()) & set(b.tolist())
        assert sorted(a.tolist() + b.tolist()) == list(range(1800))
        # step k of the two ranks together is step k of a single process with batch 100
        single = loop.epoch_order(1800, epoch, TRAIN.seed)
        for k in range(18):
            both = torch.cat([r0["seen"][epoch * 18 + k], r1["seen"][epoch * 18 + k]])
            assert sorted(both.tolist()) == sorted(single[k * 100 : (k + 1) * 100].tolist())


@pytest.mark.slow  # trains with two processes (or waits out a timeout): 5-20 s
def test_both_ranks_end_with_identical_weights_equal_to_one_process(ddp_run, tmp_path):
    rank0 = load_checkpoint(ddp_run / "run0" / "last.pt")["state_dict"]  # the last weights, saved by rank 0
    rank1 = torch.load(ddp_run / "rank1.pt")["state"]
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)

    single = _single(tmp_path, "single")
    alone = load_checkpoint(tmp_path / "single" / "last.pt")["state_dict"]
    assert _max_diff(rank0, alone) < TOLERANCE
    # A control that the tolerance catches a real bug: rank 0 alone, as if rank 1's gradients were ignored.
    _single(tmp_path, "rank0-only", rank=0, world=2)
    broken = load_checkpoint(tmp_path / "rank0-only" / "last.pt")["state_dict"]
    assert _max_diff(broken, alone) > 100 * TOLERANCE
    # The metrics rank 0 logged are those of the whole data set, as one process logs them.
    ddp_rows, single_rows = (
        read_rows(ddp_run / "run0" / "metrics.csv"),
        read_rows(tmp_path / "single" / "metrics.csv"),
    )
    for a, b in zip(ddp_rows, single_rows, strict=True):
        for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"):
            assert a[key] == pytest.approx(b[key], abs=1e-5), key
    ## and so are the step rows: each sums both ranks' steps since the last row
    ddp_steps, single_steps = (read_steps(d / "steps.csv") for d in (ddp_run / "run0", tmp_path / "single"))
    assert [r["step"] for r in ddp_steps] == [r["step"] for r in single_steps] == list(range(1, 37))
    for a, b in zip(ddp_steps, single_steps, strict=True):
        for key in ("train_loss", "train_accuracy", "lr"):
            assert a[key] == pytest.approx(b[key], abs=1e-5), key
    assert single.world == 1


@pytest.mark.slow  # trains with two processes (or waits out a timeout): 5-20 s
def test_only_rank_0_writes_files_and_its_checkpoint_loads_anywhere(ddp_run):
    assert not any((ddp_run / "run1").iterdir())
    written = {p.name for p in (ddp_run / "run0").iterdir()}
    assert {"config.json", "metrics.csv", "curves.png", "best.pt", "last.pt", "tensorboard"} <= written
    ckpt = load_checkpoint(ddp_run / "run0" / "best.pt")
    assert not any(k.startswith("module.") for k in ckpt["state_dict"])
    model_from_checkpoint(ckpt)  # a plain process without any group rebuilds the model
    assert ckpt["metrics"]["test_accuracy"] > 0.8


@pytest.mark.slow  # trains with two processes (or waits out a timeout): 5-20 s
def test_the_launcher_runs_torchrun_and_resume_works_under_it(ddp_run, tmp_path):
    """`nnzero train --nproc 2 --resume RUN`: torchrun, rank 0 reads last.pt for all, one quiet worker."""
    run = tmp_path / "run"
    shutil.copytree(ddp_run / "run0", run)
    command = [sys.executable, "-m", "nnzero", "train", "mnist", "--resume", str(run), "--epochs", "3"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "NNZERO_DIST_TIMEOUT": "60"}
    done = subprocess.run(
        [*command, "--json", "--quiet", "--nproc", "2"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout  # one JSON line from rank 0, nothing from rank 1
    assert json.loads(lines[0])["run_dir"] == str(run)
    assert done.stderr.count("resuming") == 1 and done.stderr.count("distributed: 2 processes") == 1
    rows = read_rows(run / "metrics.csv")
    assert [r["epoch"] for r in rows] == [1, 2, 3] and rows[2]["train_accuracy"] > rows[0]["train_accuracy"]
    last = load_checkpoint(run / "last.pt")
    assert last["train_state"]["epoch"] == 3 and last["config"]["train"]["world_size"] == 2


def _start_ranks(tmp_path, timeout: int) -> list[subprocess.Popen]:
    port = _free_port()
    args = [sys.executable, "-m", "nnzero", "train", "mnist", "--model", "lenet5", "--epochs", "50"]
    args += [
        "--limit",
        "10000",
        "--runs-dir",
        str(tmp_path / "runs"),
        "--quiet",
    ]  # no --name: rank 0 names it
    procs = []
    for rank in (0, 1):
        env = {**os.environ, **_rank_env(rank, port, timeout=timeout), "PYTHONPATH": str(REPO / "src")}
        env["OMP_NUM_THREADS"] = "1"
        procs.append(
            subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    return procs


def _wait_until_training(procs, runs, limit: float = 60) -> None:
    """Until rank 0 has written its config: both ranks have joined and training has begun."""
    end = time.monotonic() + limit
    while not list(runs.glob("*/config.json")):
        assert time.monotonic() < end and all(p.poll() is None for p in procs), "ranks did not start"
        time.sleep(0.2)
    time.sleep(1.0)


@pytest.mark.slow  # trains with two processes (or waits out a timeout): 5-20 s
@pytest.mark.parametrize("how", ["killed", "hung"])
def test_a_dead_or_hung_rank_ends_the_other_with_an_error_not_a_hang(tmp_path, how):
    ## The timeout bounds every wait, starting up included: long enough for a loaded machine's skew
    ## between the two ranks, short enough for a test.
    timeout = 30 if how == "killed" else 12
    procs = _start_ranks(tmp_path, timeout)
    try:
        _wait_until_training(procs, tmp_path / "runs")
        victim, survivor = (procs[1], procs[0]) if how == "killed" else (procs[0], procs[1])
        victim.send_signal(signal.SIGKILL if how == "killed" else signal.SIGSTOP)
        start = time.monotonic()
        _, err = survivor.communicate(timeout=timeout + 30)
        waited = time.monotonic() - start
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.kill()
                p.wait()
    assert survivor.returncode == 2, err[-3000:]
    assert "lost contact with the other processes" in err and "NNZERO_DIST_TIMEOUT" in err
    assert "Traceback" not in err
    assert len(list((tmp_path / "runs").iterdir())) == 1  # one run folder, named by rank 0 for both
    if how == "hung":
        assert timeout - 1 <= waited <= timeout + 20  # it waited out the timeout, then gave up
    else:
        assert waited < timeout  # a closed connection is noticed at once, without waiting out the timeout


@pytest.mark.slow  # trains with two processes (or waits out a timeout): 5-20 s
def test_the_plain_command_is_unchanged(tmp_path, capsys):
    """Without torchrun: no process group, no DDP, the single process's shuffle, world_size 1."""
    assert not distributed.requested() and not distributed.active()
    n, seed, epoch = 1800, 3, 1
    expected = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
    assert torch.equal(loop.epoch_order(n, epoch, seed), expected)
    args = ["train", "mnist", "--model", "softmax", "--limit", "600", "--epochs", "1", "--quiet", "--json"]
    assert main([*args, "--runs-dir", str(tmp_path), "--name", "plain"]) == 0
    out = capsys.readouterr()
    assert "distributed" not in out.out + out.err and not dist.is_initialized()
    assert json.loads((tmp_path / "plain" / "config.json").read_text())["train"]["world_size"] == 1
    trainer = Trainer(DATA, ModelConfig("softmax"), TRAIN, None, progress=False)
    assert trainer.net is trainer.model


def test_the_launcher_rebuilds_the_command_line():
    parser = build_parser()
    argv = [
        "train",
        "mnist",
        "--model",
        "lenet5",
        "--lr",
        "0.003",
        "--no-augment",
        "--set",
        "train.warmup=0.3",
    ]
    argv += ["--set", "data.val_fraction=0.2", "--quiet", "--json", "--nproc", "2"]
    args = parser.parse_args(argv)
    again = parser.parse_args(["train", *worker_argv(args.parser, args)])
    assert {k: v for k, v in vars(again).items() if k not in ("nproc", "parser")} == {
        k: v for k, v in vars(args).items() if k not in ("nproc", "parser")
    }
    assert again.nproc is None and again.augment is False


def test_settings_that_cannot_work_get_clear_errors(monkeypatch):
    with pytest.raises(NnzeroError, match="does not split evenly over 3 processes"):
        distributed.check_batch(128, 3)
    monkeypatch.setenv("NNZERO_DIST_TIMEOUT", "soon")
    with pytest.raises(NnzeroError, match="timeout in seconds"):
        distributed.timeout_seconds()
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "1")
    assert distributed.requested()
    assert main(["train", "mnist", "--nproc", "2", "--dry-run"]) == 2
