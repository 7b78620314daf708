"""Step rows (steps.csv, Run.steps, TensorBoard): a one-epoch run shows its loss falling, in both engines."""

from __future__ import annotations

import json

import pytest

from nnzero.callbacks import RunLog, is_row_step, log_every, read_steps, step_row
from nnzero.run import Run


def _tensorboard_points(run_dir, tag: str) -> list[tuple[int, float]]:
    """(step, value) of every ``tag`` point in the run's TensorBoard event files, read as TensorBoard reads them."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"scalars": 0}).Reload()
    return [(e.step, e.value) for e in events.Scalars(tag)] if tag in events.Tags()["scalars"] else []


def _falls(rows: list[dict]) -> tuple[float, float]:
    """Mean training loss of the first and of the last fifth of the rows."""
    fifth = max(1, len(rows) // 5)
    mean = lambda part: sum(r["train_loss"] for r in part) / len(part)  # noqa: E731
    return mean(rows[:fifth]), mean(rows[-fifth:])


def test_the_rows_fall_on_round_steps_and_a_run_gets_50_to_125():
    assert log_every(223) == 2  # the default MNIST run: 223 steps, a row every 2, 112 rows
    assert log_every(223 * 10) == 20 and log_every(60_000) == 1_000
    assert log_every(49) == 1 and log_every(100) == 2 and log_every(249) == 2 and log_every(250) == 5
    for total in (50, 77, 130, 999, 4_220, 12_345, 250_000):
        assert 50 <= total // log_every(total) < 125, total
    assert log_every(223, every=100) == 100  # --log-every wins
    ## every k steps of an epoch, and at its end (223 = 111 x 2 + 1)
    due = [d for d in range(1, 224) if is_row_step(d, 223, 2)]
    assert len(due) == 112 and due[:2] == [2, 4] and due[-2:] == [222, 223]


def test_steps_csv_reads_back_whole_rows_and_drops_what_a_resume_redoes(tmp_path):
    log = RunLog(tmp_path, tensorboard=False)
    log.on_train_begin(Run(tmp_path))
    for s in range(1, 8):
        log.on_step_log(s, step_row(s, s / 4, 2.0 / s, 0.1 * s, 1e-3))
    rows = read_steps(tmp_path / "steps.csv")
    assert [r["step"] for r in rows] == list(range(1, 8)) and rows[2]["epoch"] == 0.75
    assert rows[3]["train_loss"] == 0.5 and rows[6]["lr"] == 1e-3
    assert [r["step"] for r in read_steps(tmp_path / "steps.csv", up_to=4)] == [1, 2, 3, 4]
    ## a resumed run (its checkpoint at step 4) writes steps 5, 6, ... again: no duplicates, no gaps
    again = RunLog(tmp_path, tensorboard=False)
    again.on_train_begin(Run(tmp_path, steps=read_steps(tmp_path / "steps.csv", up_to=4)))
    again.on_step_log(5, step_row(5, 1.25, 9.0, 0.9, 1e-3))
    assert [(r["step"], r["train_loss"]) for r in read_steps(tmp_path / "steps.csv")][-2:] == [
        (4, 0.5),
        (5, 9.0),
    ]
    again.close()
    with (tmp_path / "steps.csv").open("a") as f:
        f.write("6,1.5,0.3")  # a last line cut short (only a power cut could leave one)
    assert len(read_steps(tmp_path / "steps.csv")) == 5


@pytest.mark.slow  # trains the default CNN for an epoch of 15,200 images (about 5 s)
def test_the_default_run_logs_its_loss_falling_through_one_epoch(tmp_path):
    """`nnzero train mnist`'s own recipe: >= 50 step rows whose loss falls, the one-cycle schedule
    rising and falling, and TensorBoard holding one loss/train point per row."""
    import nnzero

    run = nnzero.train(
        "mnist", limit=16_000, runs_dir=tmp_path, name="fast", progress=False, say=lambda m: None
    )  # 15,200 training images (5% held out): 60 steps of 256, a row after each
    assert run.config["model"]["name"] == "fastcnn" and len(run.history) == 1
    assert run.steps == read_steps(tmp_path / "fast" / "steps.csv")
    assert len(run.steps) >= 50 and run.steps[-1]["epoch"] == 1.0 == run.history[0]["epoch"]
    first, last = _falls(run.steps)
    assert first > 1.5 * last, (first, last)  # measured: 1.16 and 0.18
    lrs = [r["lr"] for r in run.steps]
    peak = lrs.index(max(lrs))
    assert 0 < peak < len(lrs) - 1 and lrs[0] < max(lrs) / 5 and lrs[-1] < max(lrs) / 100  # one cycle
    points = _tensorboard_points(tmp_path / "fast", "loss/train")
    assert [s for s, _ in points] == [r["step"] for r in run.steps]
    assert [round(v, 4) for _, v in points] == [round(r["train_loss"], 4) for r in run.steps]
    assert _tensorboard_points(tmp_path / "fast", "accuracy/val")[0][0] == run.history[0]["step"] == 60
    assert json.loads((tmp_path / "fast" / "config.json").read_text())["train"]["log_every"] == 1


@pytest.mark.slow  # the NumPy engine trains an MLP for one epoch of 6,400 images (about 2 s)
def test_the_numpy_engine_logs_step_rows_too(tmp_path):
    import nnzero

    run = nnzero.scratch.fit(
        "mlp", epochs=1, limit=6400, runs_dir=tmp_path, name="np", progress=False, say=lambda m: None
    )  # 100 steps of 64: a row every 2
    assert run.config["train"]["log_every"] == 2 and len(run.steps) == 50
    assert run.steps == read_steps(tmp_path / "np" / "steps.csv")
    assert [r["step"] for r in run.steps] == list(range(2, 101, 2)) and run.steps[-1]["epoch"] == 1.0
    first, last = _falls(run.steps)
    assert first > 1.5 * last, (first, last)
    assert len(_tensorboard_points(tmp_path / "np", "loss/train")) == len(run.steps)


@pytest.mark.slow  # trains mlp128 for two short epochs (about 3 s)
def test_log_every_is_a_setting_of_the_command_and_the_config(tmp_path):
    from nnzero.cli import main

    args = ["train", "mnist", "--model", "mlp128", "--limit", "3000", "--epochs", "2", "--log-every", "4"]
    assert main([*args, "--runs-dir", str(tmp_path), "--name", "k", "--quiet"]) == 0
    rows = read_steps(tmp_path / "k" / "steps.csv")
    assert [r["step"] for r in rows] == [4, 8, 11, 15, 19, 22]  # 11 steps an epoch: 4, 8, then its end
    assert json.loads((tmp_path / "k" / "config.json").read_text())["train"]["log_every"] == 4
    assert main(["train", "mnist", "--log-every", "-1", "--dry-run"]) == 2
