"""Training on real MNIST: it learns, checkpoints round-trip, Ctrl-C and resume lose nothing."""

import json

import pytest
import torch

from nnzero.cli import main
from nnzero.config import DataConfig, ModelConfig, TrainConfig
from nnzero.errors import CheckpointError
from nnzero.training import loop
from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint
from nnzero.training.trainer import Trainer


def test_short_training_learns_real_digits(small_checkpoint):
    """One epoch of mlp128 on 5,400 images already gets most of the 10,000 real test digits right."""
    ckpt = load_checkpoint(small_checkpoint)
    assert ckpt["metrics"]["test_accuracy"] > 0.88
    assert ckpt["classes"] == [str(d) for d in range(10)]
    assert ckpt["input_spec"]["kind"] == "digits" and ckpt["input_spec"]["size"] == 28
    run = small_checkpoint.parent
    for name in ("config.json", "metrics.csv", "curves.png", "last.pt"):
        assert (run / name).stat().st_size > 0, name
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))
    assert "val_accuracy" in (run / "metrics.csv").read_text().splitlines()[0]


@pytest.mark.slow  # trains the default CNN for an epoch of 6,000 images
def test_the_default_model_learns_real_digits_in_one_short_epoch(tmp_path):
    """`nnzero train mnist`'s own recipe (fastcnn, one epoch) on 6,000 images: most of 10,000 test digits right."""
    import nnzero

    run = nnzero.train(
        "mnist", limit=6000, runs_dir=tmp_path, name="fast", progress=False, say=lambda m: None
    )
    assert run.config["model"]["name"] == "fastcnn" and len(run.history) == 1
    assert run.metrics["test_accuracy"] > 0.95  # an untrained net scores ~0.10; 60,000 images give ~0.993
    for name in ("best.pt", "last.pt", "metrics.csv", "curves.png", "report.html"):
        assert (tmp_path / "fast" / name).stat().st_size > 0, name


def test_checkpoint_round_trip_gives_identical_logits(small_checkpoint, tmp_path):
    """The weights that come back are the ones that were saved: the trained checkpoint scores its
    recorded test accuracy again, and a model saved here comes back with bit-identical logits."""
    from nnzero.datasets import load_arrays
    from nnzero.training.checkpoint import save_checkpoint

    images, labels = load_arrays("test")
    x = (torch.from_numpy(images.copy()).float()[:, None] / 255 - 0.1307) / 0.3081  # (10000, 1, 28, 28)
    ckpt = load_checkpoint(small_checkpoint)
    model = model_from_checkpoint(ckpt)
    with torch.no_grad():
        logits = model(x)  # (10000, 10)
    accuracy = (logits.argmax(1).numpy() == labels).mean()
    assert abs(accuracy - ckpt["metrics"]["test_accuracy"]) <= 2e-4  # float32 rounding may flip a tie

    path = save_checkpoint(
        tmp_path / "again.pt",
        model,
        model_name=ckpt["model_name"],
        model_kwargs=ckpt["model_kwargs"],
        classes=ckpt["classes"],
        input_spec=ckpt["input_spec"],
    )
    ## The same batch through both: a CPU may pick another convolution algorithm for another batch
    ## size (oneDNN does on some Intel CPUs), so rows of the 10,000-image pass need not match bit for bit.
    with torch.no_grad():
        before = model(x[:64])  # (64, 10)
        again = model_from_checkpoint(load_checkpoint(path))(x[:64])  # (64, 10)
    assert torch.equal(again, before)


def test_files_that_are_not_checkpoints_get_clear_errors(tmp_path, small_checkpoint):
    bare = tmp_path / "bare.pt"
    torch.save(model_from_checkpoint(load_checkpoint(small_checkpoint)).state_dict(), bare)
    with pytest.raises(CheckpointError, match="not an nnzero checkpoint"):
        load_checkpoint(bare)
    text = tmp_path / "notes.pt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="could not be read safely"):
        load_checkpoint(text)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_a_pickle_that_would_run_code_is_refused(tmp_path):
    """weights_only=True: loading never executes what a file asks for."""

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"format": "nnzero-checkpoint", "x": Evil()}, path)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def _trainer(run_dir, epochs=2, ema=0.0):
    data = DataConfig(limit=3000, augment=True)
    train = TrainConfig(epochs=epochs, batch_size=100, lr=2e-3, ema=ema, log_every=5)
    return Trainer(data, ModelConfig("lenet5"), train, run_dir, say=lambda m: None, progress=False)


@pytest.mark.slow  # trains three times (6-10 s)
@pytest.mark.parametrize("ema", [0.0, 0.99])
def test_ctrl_c_then_resume_ends_with_the_same_weights_as_an_uninterrupted_run(tmp_path, monkeypatch, ema):
    """With train.ema the moving average is resumed too: best.pt and the average come out bit-identical;
    steps.csv comes out byte-identical (the interrupt falls between two of its rows: the sums of the
    steps since the last row are kept in last.pt and go on after the resume)."""
    straight = _trainer(tmp_path / "straight", ema=ema)
    straight.fit()

    interrupted = _trainer(tmp_path / "interrupted", ema=ema)
    real_step, calls = torch.optim.Adam.step, {"n": 0}

    def step_then_interrupt(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 40:  # in the middle of the second epoch (27 steps per epoch)
            raise KeyboardInterrupt
        return real_step(self, *a, **k)

    monkeypatch.setattr(torch.optim.Adam, "step", step_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit()
    monkeypatch.setattr(torch.optim.Adam, "step", real_step)
    tally = load_checkpoint(tmp_path / "interrupted" / "last.pt")["train_state"]["tally"]
    assert tally["batch"] == 12 and tally["window_seen"] == 200  # steps 38 and 39 since the row at 37

    resumed = _trainer(tmp_path / "interrupted", ema=ema)
    resumed.restore(tmp_path / "interrupted" / "last.pt")
    resumed.fit()
    for a, b in zip(straight.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
    if ema:
        for a, b in zip(straight.average.state_dict().values(), resumed.average.state_dict().values()):
            assert torch.equal(a, b)
    rows = (tmp_path / "interrupted" / "metrics.csv").read_text().splitlines()
    assert len(rows) == 3  # header + one row per epoch, none doubled
    steps = (tmp_path / "interrupted" / "steps.csv").read_text()
    assert steps == (tmp_path / "straight" / "steps.csv").read_text()
    ## 27 steps an epoch: rows at 5, 10, ..., 25 and 27, then 32, ..., 52 and 54; none doubled or missing
    assert [int(line.split(",")[0]) for line in steps.splitlines()[1:]] == [
        *range(5, 26, 5),
        27,
        *range(32, 53, 5),
        54,
    ]


@pytest.mark.slow  # trains three times (6-10 s)
def test_resume_from_the_command_line_and_json_output(tmp_path, capsys):
    args = [
        "train",
        "mnist",
        "--model",
        "mlp64x3",
        "--limit",
        "2000",
        "--runs-dir",
        str(tmp_path),
        "--name",
        "r",
        "--quiet",
        "--json",
    ]
    assert main([*args, "--epochs", "1"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    after_one = (tmp_path / "r" / "metrics.csv").read_text().splitlines()
    assert (
        main(["train", "mnist", "--resume", str(tmp_path / "r"), "--epochs", "2", "--json", "--quiet"]) == 0
    )
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["run_dir"] == second["run_dir"] and {"checkpoint", "test_accuracy", "seconds"} <= set(second)
    assert (first["epoch"], second["epoch"]) == (1, 2)  # the best checkpoint is now the resumed epoch's
    rows = (tmp_path / "r" / "metrics.csv").read_text().splitlines()
    assert rows[:2] == after_one and len(rows) == 3 and rows[2].startswith("2,")  # epoch 1 kept, 2 added
    assert load_checkpoint(tmp_path / "r" / "last.pt")["train_state"]["epoch"] == 2
    ## It went on from epoch 1's weights: measured train loss 2.02 then 1.46, test accuracy 0.53 then
    ## 0.61; starting over would give epoch 1's numbers again.
    loss_1, loss_2 = (float(row.split(",")[1]) for row in rows[1:])
    assert loss_2 < 0.85 * loss_1 and second["test_accuracy"] > first["test_accuracy"] + 0.03


@pytest.mark.slow  # trains once (about 2 s)
def test_an_existing_run_is_never_overwritten(tmp_path, capsys):
    args = [
        "train",
        "mnist",
        "--model",
        "softmax",
        "--limit",
        "500",
        "--epochs",
        "1",
        "--runs-dir",
        str(tmp_path),
        "--name",
        "same",
        "--quiet",
    ]
    assert main(args) == 0
    run = tmp_path / "same"
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    assert {"best.pt", "last.pt", "metrics.csv", "config.json"} <= {p.name for p in before}
    assert main(args) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before  # not a byte changed
    assert [p.name for p in tmp_path.iterdir()] == ["same"]  # and no second run beside it


def test_epoch_order_shards_are_disjoint_and_cover_the_data():
    shards = [loop.epoch_order(1000, epoch=3, seed=1, rank=r, world=4) for r in range(4)]
    together = torch.cat(shards)
    assert len(together) == 1000 and len(set(together.tolist())) == 1000


@pytest.mark.parametrize("keep", ["accuracy", "loss", "last"])
def test_best_pt_keeps_the_epoch_that_train_keep_names(tmp_path, keep):
    """best.pt holds (and the run tests) the epoch of the best validation accuracy (the first if tied), of
    the lowest validation loss, or the last: whichever ``keep`` names, judged on the run's own rows."""
    import nnzero

    ## 200 images to learn from, 200 to validate on: here validation accuracy peaks at epoch 7 and the
    ## loss is lowest at 8, the last, so each rule keeps another epoch than some other rule would
    run = nnzero.train(
        "mnist", model="mlp64x3", limit=400, val_fraction=0.5, epochs=8, lr=1e-2, optimizer="adam",
        schedule="constant", keep=keep, runs_dir=tmp_path, name=keep, progress=False, say=lambda m: None,
    )  # fmt: skip
    rows = run.history
    wanted = {
        "accuracy": max(rows, key=lambda r: r["val_accuracy"]),
        "loss": min(rows, key=lambda r: r["val_loss"]),
        "last": rows[-1],
    }[keep]
    kept = load_checkpoint(tmp_path / keep / "best.pt")
    assert kept["metrics"]["epoch"] == wanted["epoch"]
    assert kept["config"]["train"]["keep"] == keep
    model = model_from_checkpoint(kept)
    last = model_from_checkpoint(load_checkpoint(tmp_path / keep / "last.pt"))
    same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), last.state_dict().values()))
    assert same == (wanted["epoch"] == len(rows))  # the kept weights are that epoch's, not the last's
    rule = {
        "accuracy": "the best validation accuracy",
        "loss": "the lowest validation loss",
        "last": "the last epoch",
    }
    assert (
        f"epoch {wanted['epoch']}: {rule[keep]}" in (tmp_path / keep / "report.html").read_text()
    )  # it says so
