"""The public API: nnzero.train / Run / load / evaluate / scratch.fit, and that the CLI is the same run."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import nnzero
from nnzero.callbacks import read_rows, read_steps
from nnzero.cli import main
from nnzero.datasets import load_arrays
from nnzero.errors import NnzeroError

QUIET = {"progress": False, "say": lambda message: None}


def _cli_json(capsys, argv: list[str]) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.slow  # trains twice (about 7 s)
def test_library_and_command_line_give_the_same_run(tmp_path, capsys):
    settings = {"epochs": 1, "limit": 3000, "seed": 3}
    run = nnzero.train("mnist", model="mlp64x3", runs_dir=tmp_path, name="lib", **settings, **QUIET)
    printed = _cli_json(
        capsys,
        ["train", "mnist", "--model", "mlp64x3", "--epochs", "1", "--limit", "3000", "--seed", "3"]
        + ["--runs-dir", str(tmp_path), "--name", "cli", "--json", "--quiet"],
    )
    assert (
        printed["test_accuracy"] == run.test_accuracy and run.test_accuracy > 0.6
    )  # 11 steps; chance is 0.1
    assert set(printed) == set(run.metrics)
    ## The same defaults were resolved for both: the configs differ in nothing.
    lib, cli = (json.loads((tmp_path / n / "config.json").read_text()) for n in ("lib", "cli"))
    assert lib == cli and lib["train"]["batch_size"] == 256 and lib["train"]["lr"] == 6e-3


def test_run_holds_the_run_folder_history_and_metrics(small_run):
    run = small_run
    assert run.dir.is_dir() and run.checkpoint == run.dir / "best.pt"
    assert run.history == read_rows(run.dir / "metrics.csv") and len(run.history) == 1
    ## 5,400 images, 22 steps of 256: a row after each, the last one at the epoch's end
    assert run.steps == read_steps(run.dir / "steps.csv") and len(run.steps) == 22 == run.history[0]["step"]
    assert run.steps[-1]["epoch"] == 1.0 and run.steps[-1]["train_loss"] < run.steps[0]["train_loss"] / 2
    assert run.history[0]["val_accuracy"] > 0.85
    assert run.metrics["test_accuracy"] == run.test_accuracy > 0.85
    for name in ("config.json", "curves.png", "report.html", "last.pt"):
        assert (run.dir / name).exists(), name
    assert run.config["model"]["name"] == "mlp128" and run.config["train"]["epochs"] == 1


def test_settings_resolve_as_the_command_resolves_them():
    data, model, train = nnzero.resolve_settings("mnist", model="mlp128")
    assert (model.name, train.epochs, train.lr, train.batch_size, data.augment) == (
        "mlp128",
        5,
        6e-3,
        256,
        False,
    )
    _, model, train = nnzero.resolve_settings("mnist", epochs=7, sets=["train.warmup=0.25"])
    assert model.name == "fastcnn" and train.epochs == 7 and train.warmup == 0.25
    with pytest.raises(NnzeroError, match="unknown setting 'epohcs'.*epochs"):
        nnzero.train("mnist", epohcs=3, **QUIET)
    with pytest.raises(NnzeroError, match="lr must be float"):
        nnzero.resolve_settings("mnist", lr="fast")


def test_the_default_mnist_model_is_fastcnn_with_its_one_epoch_recipe():
    data, model, train = nnzero.resolve_settings("mnist")
    assert model.name == "fastcnn"
    assert (train.epochs, train.batch_size, train.lr, train.optimizer, train.schedule) == (
        1,
        256,
        1e-2,
        "adam",
        "onecycle",
    )
    assert (train.label_smoothing, data.val_fraction, data.augment) == (0.1, 0.05, False)
    assert (train.beta1, train.beta2) == (0.7, 0.9)  # tuomaso/train_mnist_fast's Adam
    ## the other data sets keep their defaults; cnn stays registered under its name
    assert nnzero.resolve_settings("fashion-mnist")[1].name == "cnn"
    assert nnzero.resolve_settings("mnist", model="cnn")[2].epochs == 3


def test_a_longer_schedule_takes_the_models_long_defaults_unless_the_user_sets_them():
    data, _, train = nnzero.resolve_settings("mnist", epochs=10)
    assert (train.epochs, train.lr, data.augment, train.batch_size) == (10, 5e-3, True, 256)
    data, _, train = nnzero.resolve_settings("mnist", epochs=10, lr=2e-2, augment=False)
    assert (train.lr, data.augment) == (2e-2, False)  # the user's flags win
    data, _, train = nnzero.resolve_settings("mnist", epochs=10, sets=["train.lr=0.003"])
    assert (train.lr, data.augment) == (3e-3, True)  # --set counts as the user's too
    data, _, train = nnzero.resolve_settings("mnist", epochs=1)
    assert (train.lr, data.augment) == (1e-2, False)  # not longer than the default: unchanged
    data, _, train = nnzero.resolve_settings("mnist", model="mlp128", epochs=20)
    assert (train.lr, data.augment) == (6e-3, False)  # a model without long defaults: unchanged


class Recorder:
    """Records every hook; asks to stop after ``stop_after`` epochs."""

    def __init__(self, stop_after: int):
        self.stop_after, self.calls, self.run = stop_after, [], None

    def on_train_begin(self, run):
        self.run = run
        self.calls.append(("begin", run.dir))

    def on_epoch_end(self, epoch, logs):
        self.calls.append(("epoch", epoch, logs["val_accuracy"]))
        if epoch >= self.stop_after:
            self.run.stop_training = True

    def on_train_end(self, run):
        self.calls.append(("end", run.test_accuracy))


@pytest.mark.slow  # trains (about 2 s each)
@pytest.mark.parametrize("engine", ["torch", "scratch"])
def test_a_callback_sees_every_epoch_and_can_stop_training(tmp_path, engine):
    recorder = Recorder(stop_after=1)
    if engine == "torch":
        run = nnzero.train(
            "mnist", model="softmax", epochs=3, limit=2000, runs_dir=tmp_path, callbacks=[recorder], **QUIET
        )
    else:
        run = nnzero.scratch.fit(
            "softmax", epochs=3, limit=2000, runs_dir=tmp_path, callbacks=[recorder], **QUIET
        )
    assert [c[0] for c in recorder.calls] == ["begin", "epoch", "end"]  # stopped after epoch 1 of 3
    assert recorder.calls[0][1] == run.dir and recorder.calls[1][2] == run.history[0]["val_accuracy"]
    assert recorder.calls[2][1] == run.test_accuracy > 0.7
    assert len(read_rows(run.dir / "metrics.csv")) == 1 and (run.dir / "curves.png").exists()
    with pytest.raises(TypeError, match="not a callback"):
        nnzero.train("mnist", model="softmax", dry_run=True, callbacks=[object()], **QUIET)


def test_load_predicts_paths_pil_images_and_arrays(small_checkpoint, tmp_path):
    predictor = nnzero.load(small_checkpoint)
    assert predictor.classes == [str(d) for d in range(10)]
    images, labels = load_arrays("test")
    Image.fromarray(images[0]).save(tmp_path / "digit.png")
    answers = predictor.predict([tmp_path / "digit.png", Image.fromarray(images[1]), images[2]], top=3)
    assert len(answers) == 3 and all(len(a) == 3 for a in answers)
    for answer in answers:
        probs = [a["prob"] for a in answer]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
        assert {a["label"] for a in answer} <= set(predictor.classes)
    ## The same preparation the CLI and server use: real test digits are read right.
    guesses = [p[0]["label"] for p in predictor.predict(list(images[:100]), top=1)]
    assert np.mean(np.array(guesses) == labels[:100].astype(str)) > 0.85
    assert predictor.predict(images[3] / 255.0) == predictor.predict(images[3])  # float 0-1 arrays work
    with pytest.raises(NnzeroError, match="shape"):
        predictor.predict(np.zeros((2, 3, 4, 5)))


def test_evaluate_gives_the_runs_test_accuracy_per_class_and_mistakes(small_run):
    report = nnzero.evaluate(small_run.checkpoint)
    assert report["test_accuracy"] == pytest.approx(small_run.test_accuracy, abs=1e-9)
    matrix = np.array(report["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == report["images"] == 10000
    assert len(report["mistakes"]) == 10000 - np.trace(matrix)
    seven = report["per_class"]["7"]
    assert 0.5 < seven["precision"] <= 1 and 0.5 < seven["recall"] <= 1
    confidences = [m["confidence"] for m in report["mistakes"]]
    assert confidences == sorted(confidences, reverse=True)  # most confident first


def test_the_final_tests_logits_are_kept_and_the_report_uses_them(small_run):
    from nnzero.evaluation.evaluate import evaluate_checkpoint

    logits = small_run.test_logits
    assert logits.shape == (10000, 10) and logits.device.type == "cpu"
    labels = np.asarray(load_arrays("test")[1])
    hits = int((logits.argmax(1).numpy() == labels).sum())
    assert hits / 10000 == small_run.test_accuracy  # exactly the final test's outputs
    assert nnzero.evaluate(small_run.checkpoint)["log_loss"] == pytest.approx(
        evaluate_checkpoint(small_run.checkpoint, logits=logits)["log_loss"], rel=1e-5
    )  # the network run again gives the same outputs
    perfect = np.eye(10, dtype=np.float32)[labels] * 20
    given = evaluate_checkpoint(small_run.checkpoint, logits=torch.from_numpy(perfect))
    assert given["test_accuracy"] == 1.0 and given["mistakes"] == []  # used as given, not recomputed
    other = evaluate_checkpoint(small_run.checkpoint, logits=torch.from_numpy(perfect[:500]))
    assert other["test_accuracy"] == pytest.approx(small_run.test_accuracy)  # wrong length: ignored


@pytest.mark.slow  # trains (about 2 s each)
def test_scratch_fit_is_the_same_run_as_the_scratch_command(tmp_path, capsys):
    run = nnzero.scratch.fit("softmax", epochs=1, limit=5000, runs_dir=tmp_path, name="lib", **QUIET)
    printed = _cli_json(
        capsys,
        ["scratch", "train", "mnist", "--model", "softmax", "--epochs", "1", "--limit", "5000"]
        + ["--runs-dir", str(tmp_path), "--name", "cli", "--json", "--quiet"],
    )
    assert run.engine == "scratch" and run.checkpoint == tmp_path / "lib" / "model.npz"
    assert printed["test_accuracy"] == run.test_accuracy > 0.8 and set(printed) == set(run.metrics)
    assert run.history == read_rows(tmp_path / "lib" / "metrics.csv")
    assert run.steps == read_steps(tmp_path / "lib" / "steps.csv") and run.steps[-1]["step"] == 40
    assert (tmp_path / "lib" / "weights.png").exists() and (tmp_path / "lib" / "curves.png").exists()
