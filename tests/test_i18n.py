"""The language: --lang, else NNZERO_LANG, else the user's locale (LC_ALL > LC_MESSAGES > LANG; on
Windows the display language), else English."""

from __future__ import annotations

import sys

import pytest

from nnzero import i18n
from nnzero.cli import main
from nnzero.i18n import lang, set_lang, tr


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.Big5"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LC_ALL": "en_GB.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "en"),  # LC_ALL overrides the rest
        ({"LC_ALL": "zh_SG.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LANG": "zh_CN.UTF-8", "NNZERO_LANG": "en"}, "en"),  # NNZERO_LANG overrides the locale
        ({"LANG": "en_US.UTF-8", "NNZERO_LANG": "zh"}, "zh"),
    ],
)
def test_the_locale_chooses_the_language(env, expected, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert lang() == expected


def test_lang_flag_overrides_the_locale(monkeypatch, capsys):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "启动网页" in capsys.readouterr().out  # a Chinese user gets Chinese without a flag
    with pytest.raises(SystemExit):
        main(["--lang", "en", "serve", "--help"])
    assert "serve a web page" in capsys.readouterr().out
    set_lang("en")
    try:
        assert tr("yes", "是") == "yes"
    finally:
        set_lang(None)


@pytest.mark.parametrize("langid, expected", [(0x0804, "zh"), (0x0404, "zh"), (0x0409, "en"), (None, "en")])
def test_windows_follows_the_display_language(langid, expected, monkeypatch):
    monkeypatch.setattr(i18n.sys, "platform", "win32")
    monkeypatch.setattr(i18n, "_windows_ui_language", lambda: None if langid is None else langid & 0x3FF)
    assert lang() == expected
    monkeypatch.setenv("LANG", "en_US.UTF-8")  # a POSIX shell on Windows (Git Bash) says so itself
    assert lang() == "en"


@pytest.mark.skipif(sys.platform == "win32", reason="on Windows the display language is really asked")
def test_asking_windows_off_windows_is_harmless():
    assert i18n._windows_ui_language() is None  # no ctypes.windll here: guarded, not a crash
