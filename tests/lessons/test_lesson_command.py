"""`nnzero lesson` on the command line: listing, text, JSON, --out, --dry-run, languages, errors."""

import json

import pytest

from nnzero.cli import main
from nnzero.lessons import TOPICS, _figure


def test_listing(capsys):
    assert main(["lesson"]) == 0
    out = capsys.readouterr().out
    for name in TOPICS:
        assert name in out
    assert main(["lesson", "--lang", "zh"]) == 0
    assert "今天加班吗" in capsys.readouterr().out
    assert main(["lesson", "--json"]) == 0
    assert [t["name"] for t in json.loads(capsys.readouterr().out)["topics"]] == list(TOPICS)


def test_one_lesson_as_json(tmp_path, capsys):
    assert main(["lesson", "softmax", "--out", str(tmp_path / "figs"), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["topic"] == "softmax" and report["numbers"]["sum"] == pytest.approx(1.0)
    assert (tmp_path / "figs" / "lesson-softmax.png").stat().st_size > 10_000
    assert report["png"] == str(tmp_path / "figs" / "lesson-softmax.png")
    assert "lesson-softmax.png" in captured.err  # progress goes to stderr under --json


def test_default_out_is_the_current_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["lesson", "neuron"]) == 0
    assert (tmp_path / "lesson-neuron.png").exists()
    out = capsys.readouterr().out
    assert "6·1 + 3·0 + (-3)·0 - 5 = +1" in out


@pytest.mark.slow  # draws every lesson's figure (about 5 s)
def test_dry_run_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["lesson", "all", "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["topic"] for r in report["lessons"]] == list(TOPICS)
    assert all(r["png"] is None for r in report["lessons"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("how", ["global", "command", "env"])
def test_chinese(how, tmp_path, monkeypatch, capsys):
    argv = ["lesson", "backprop", "--out", str(tmp_path)]
    if how == "global":
        argv = ["--lang", "zh", *argv]
    elif how == "command":
        argv += ["--lang", "zh"]
    else:
        monkeypatch.setenv("NNZERO_LANG", "zh")
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "反向传播" in out and "有限差分" in out and "已写入" in out


def test_missing_font_note(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_figure, "use_cjk_font", lambda: None)
    assert main(["--lang", "zh", "lesson", "loss", "--out", str(tmp_path)]) == 0
    assert "fonts-noto-cjk" in capsys.readouterr().out


def test_conv_index(tmp_path, capsys):
    assert main(["lesson", "conv", "--index", "2", "--json", "--out", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["numbers"]["label"] == 1


def test_user_errors(tmp_path, capsys):
    assert main(["lesson", "softmax", "--index", "3", "--out", str(tmp_path)]) == 2
    assert "--index" in capsys.readouterr().err
    assert main(["lesson", "conv", "--index", "99999", "--out", str(tmp_path)]) == 2
    assert "99999" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["lesson", "attention"])
    assert "invalid choice" in capsys.readouterr().err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["lesson", "--help"])
    assert "nnzero lesson neuron --lang zh" in capsys.readouterr().out
