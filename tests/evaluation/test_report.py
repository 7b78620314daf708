"""report.html: written at the end of training, self-contained, rebuilt by `nnzero report`, for either engine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from pagecheck import assert_not_blank, assert_self_contained, embedded_images

from nnzero.callbacks import CallbackList
from nnzero.cli import main
from nnzero.config import DataConfig, ModelConfig, TrainConfig
from nnzero.evaluation.api import default_callbacks
from nnzero.training.checkpoint import load_checkpoint
from nnzero.training.trainer import Trainer

pytestmark = pytest.mark.slow  # every test here trains: trained_runs (about 10 s) or a Trainer of its own


def test_training_writes_a_self_contained_report(trained_runs):
    for model, run in trained_runs.items():
        html = (run / "report.html").read_text(encoding="utf-8")
        assert_self_contained(html)
        assert not (run / "eval").exists()
        for section in ("config", "summary", "curves", "metrics", "confusion", "mistakes", "features"):
            assert f'<section id="{section}">' in html, (model, section)
        assert "Confusion matrix" in html and "混淆矩阵" in html  # both languages by default
        images = embedded_images(html)
        assert {"curves-img", "confusion-img", "mistakes-img", "features-img"} <= set(images)
        for name, image in images.items():
            assert min(image.size) >= 200, (model, name, image.size)
            assert_not_blank(image)
        metrics = load_checkpoint(run / "best.pt")["metrics"]
        assert f"{metrics['test_accuracy']:.4f}" in html
        assert f"{model}" in html and "total trainable parameters" in html


def test_report_command_evaluates_best_pt_or_reuses_nnzero_evaluate(trained_runs, tmp_path, capsys):
    run = tmp_path / "mlp"
    shutil.copytree(trained_runs["mlp128"], run)
    (run / "report.html").unlink()
    assert main(["report", str(run), "--lang", "zh", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["evaluated"] is True and result["report"] == str(run / "report.html")
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "混淆矩阵" in html and "Confusion matrix" not in html
    assert not (run / "eval").exists()  # a report adds nothing but report.html to the run
    trained = load_checkpoint(run / "best.pt")["metrics"]
    assert f"{trained['test_accuracy']:.4f}" in html and "10000" in html
    # after `nnzero evaluate`, the report uses its outputs instead of evaluating again
    assert main(["evaluate", str(run / "best.pt"), "--json"]) == 0
    capsys.readouterr()
    assert main(["report", str(run), "--json", "--no-feature-maps"]) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert again["evaluated"] is False and "features" not in again["sections"]
    assert "confusion" in again["sections"] and "unknown" in again["sections"]
    assert again["images"] == 4  # curves, confusion, mistakes, the unknown answer's coverage


def test_report_dry_run_writes_nothing(trained_runs, tmp_path, capsys):
    run = tmp_path / "lenet"
    shutil.copytree(trained_runs["lenet5"], run)
    before = sorted(p.name for p in run.rglob("*"))
    (run / "report.html").unlink()
    assert main(["report", str(run), "--dry-run", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["dry_run"] and result["report"] is None and result["bytes"] > 10_000
    assert sorted(p.name for p in run.rglob("*")) == [n for n in before if n != "report.html"]


def test_a_run_without_a_torch_checkpoint_still_gets_a_report_without_torch(trained_runs, tmp_path):
    """What the NumPy engine leaves: config, metrics.csv, curves and its own pictures, no best.pt."""
    run = tmp_path / "numpy-run"
    run.mkdir()
    for name in ("config.json", "metrics.csv", "curves.png"):
        shutil.copy(trained_runs["mlp128"] / name, run / name)
    shutil.copy(trained_runs["lenet5"] / "curves.png", run / "weights.png")  # stands for a figure of its own
    code = (
        "import sys; from nnzero.evaluation.report import write_report; "
        f"r = write_report({str(run)!r}); print(r['sections']); "
        "assert 'torch' not in sys.modules, 'report imported torch'"
    )
    env = {**os.environ, "PYTHONPATH": "src"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    html = (run / "report.html").read_text(encoding="utf-8")
    assert_self_contained(html)
    images = embedded_images(html)
    assert {"curves-img", "weights.png"} <= set(images) and "confusion-img" not in images
    assert "no PyTorch checkpoint" in html and "the run has not been evaluated" in html


def test_a_failing_report_is_a_warning_and_the_run_is_kept(tmp_path, monkeypatch):
    import nnzero.evaluation.report as report

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "build_html", broken)
    said = []
    trainer = Trainer(
        DataConfig(limit=1000),
        ModelConfig("mlp128"),
        TrainConfig(epochs=1),
        tmp_path,
        say=said.append,
        progress=False,
    )
    result = trainer.fit(CallbackList(default_callbacks(say=said.append))).metrics
    assert result["test_accuracy"] > 0.5 and (tmp_path / "best.pt").exists()
    assert not (tmp_path / "report.html").exists()
    assert any("warning" in m and "disk full" in m and "nnzero report" in m for m in said)
