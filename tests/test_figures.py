"""Figures never print a font warning: English figures draw English; Chinese ones use a CJK font where one
is installed, and where none is, one line says so with the fix and the figure is drawn in English."""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from nnzero import figures
from nnzero.cli import main
from nnzero.figures import figure_zh, plt, savefig

REPO = Path(__file__).resolve().parents[1]


def font_warnings(caught) -> list[str]:
    return [
        str(w.message) for w in caught if "missing from" in str(w.message) or "findfont" in str(w.message)
    ]


@pytest.fixture
def run_dir(small_checkpoint, tmp_path):
    """A copy of the small run (best.pt, metrics, ...), so that a report can be rebuilt in it."""
    target = tmp_path / "small"
    shutil.copytree(small_checkpoint.parent, target)
    return target


@pytest.mark.slow  # builds a report
def test_an_english_report_draws_english_only(run_dir, capsys):
    """The report's inspection sheet used to draw its caption's Chinese half: eight glyph warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["report", str(run_dir), "--lang", "en"]) == 0
        assert main(["report", str(run_dir)]) == 0  # both languages on the page, English in the figures
    assert font_warnings(caught) == []
    assert "Glyph" not in capsys.readouterr().err
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and '<span lang="zh-CN">' in page and "Noto Sans CJK SC" in page


@pytest.mark.slow  # writes a whole report twice (about 2 s)
def test_without_a_cjk_font_chinese_says_so_once_and_draws_english(run_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(figures, "cjk_font", lambda: None)  # a machine without any CJK font
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["--lang", "zh", "lesson", "neuron", "--out", str(tmp_path)]) == 0
        assert main(["--lang", "zh", "report", str(run_dir), "--lang", "zh"]) == 0
        assert main(["--lang", "zh", "evaluate", str(run_dir / "best.pt")]) == 0
    assert font_warnings(caught) == []
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fonts-noto-cjk" in err[0] and "中文字体" in err[0], err
    assert '<html lang="zh-CN">' in (run_dir / "report.html").read_text(encoding="utf-8")


def test_with_a_cjk_font_chinese_has_every_glyph(tmp_path):
    if figures.cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would be a warning, hence an error
        assert figure_zh(True)
        fig, ax = plt.subplots()
        ax.set_title("训练损失 loss")
        ax.set_xlabel("轮 epoch -1")
        savefig(fig, tmp_path / "zh.png", dpi=50)
    assert (tmp_path / "zh.png").stat().st_size > 1000


def test_a_chinese_class_name_in_english_is_not_a_warning(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(figures, "cjk_font", lambda: None)
    with warnings.catch_warnings(record=True) as caught, plt.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title("猫")  # a photo folder named in Chinese, say: DejaVu Sans has no glyph for it
        savefig(fig, tmp_path / "cat.png", dpi=50)
    assert font_warnings(caught) == []
    assert "fonts-noto-cjk" in capsys.readouterr().err


@pytest.mark.slow  # draws lessons in a subprocess (about 2.5 s)
def test_no_warning_reaches_the_terminal_of_a_lesson():
    """A whole command in a fresh process, with every UserWarning an error: nothing on stderr."""
    for lang in ("en", "zh"):
        done = subprocess.run(
            [sys.executable, "-W", "error::UserWarning", "-m", "nnzero", "--lang", lang]
            + ["lesson", "softmax", "--dry-run"],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        expected = 1 if lang == "zh" and figures.cjk_font() is None else 0
        assert len(done.stderr.splitlines()) == expected, done.stderr
