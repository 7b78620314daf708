"""`nnzero compare`: two real runs side by side, as HTML and as PNG."""

from __future__ import annotations

import json

import pytest
from pagecheck import assert_not_blank, assert_self_contained, decode_png, embedded_images

from nnzero.cli import main
from nnzero.training.checkpoint import load_checkpoint

pytestmark = pytest.mark.slow  # every test here needs trained_runs, which trains two models (about 10 s)


def test_compare_two_runs_as_html(trained_runs, tmp_path, capsys):
    out = tmp_path / "compare.html"
    runs = [str(trained_runs["mlp128"]), str(trained_runs["lenet5"])]
    assert main(["compare", *runs, "--out", str(out), "--json"]) == 0
    table = {r["model"]: r for r in json.loads(capsys.readouterr().out.strip().splitlines()[-1])["runs"]}
    assert table["mlp128"]["params"] == 101_770 and table["lenet5"]["params"] == 61_706
    for model, row in table.items():
        metrics = load_checkpoint(trained_runs[model] / "best.pt")["metrics"]
        assert row["epochs"] == 1 and row["test_accuracy"] == metrics["test_accuracy"]
        assert row["best_val_accuracy"] == pytest.approx(metrics["val_accuracy"])
        assert 0 < row["seconds"] < 600
    html = out.read_text(encoding="utf-8")
    assert_self_contained(html)
    images = embedded_images(html)
    assert_not_blank(images["compare-img"])
    assert "101,770" in html and "61,706" in html


def test_compare_as_png_with_the_table_under_the_curves(trained_runs, tmp_path, capsys):
    out = tmp_path / "compare.png"
    assert main(["compare", str(trained_runs["mlp128"]), str(trained_runs["lenet5"]), "--out", str(out)]) == 0
    assert "lenet5" in capsys.readouterr().out
    image = decode_png(out)
    assert image.size[0] == 1500 and image.size[1] > 500
    assert_not_blank(image)


def test_compare_refuses_what_it_cannot_write_or_read(trained_runs, tmp_path, capsys):
    assert main(["compare", str(trained_runs["mlp128"]), "--out", str(tmp_path / "x.pdf")]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["compare", str(tmp_path)]) == 2
    assert "metrics.csv" in capsys.readouterr().err


def test_compare_dry_run_writes_nothing(trained_runs, tmp_path, capsys):
    out = tmp_path / "c.html"
    assert main(["--lang", "zh", "compare", str(trained_runs["lenet5"]), "--out", str(out), "--dry-run"]) == 0
    assert "模型" in capsys.readouterr().out and not out.exists()
