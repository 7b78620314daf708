"""Messages in English and Chinese.

Every user-facing sentence is written in both languages where it is used:
``tr("Test accuracy: {acc:.4f}", "测试准确率: {acc:.4f}", acc=0.99)``.
The language comes from ``set_lang`` (the CLI's ``--lang``), else ``NNZERO_LANG``, else the user's
locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as POSIX ranks them; on Windows the user's display
language), else English. A locale starting with ``zh`` (``zh_CN.UTF-8``, ``zh_TW``) means Chinese.
"""

from __future__ import annotations

import os
import sys

LANGS = ("en", "zh")
_lang: str | None = None


def set_lang(lang: str | None) -> None:
    """Choose the language for this process; None goes back to NNZERO_LANG."""
    global _lang
    if lang is not None and lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose from {', '.join(LANGS)}")
    _lang = lang


def lang() -> str:
    if _lang is not None:
        return _lang
    env = os.environ.get("NNZERO_LANG", "").lower()
    if env:
        return "zh" if env.startswith("zh") else "en"
    return locale_lang()


def locale_lang() -> str:
    """The language of the user's locale: "zh" or "en"."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):  # the first one set wins
        value = os.environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    if sys.platform == "win32":
        return "zh" if _windows_ui_language() == _LANG_CHINESE else "en"
    return "en"


_LANG_CHINESE = 0x04  # the primary language of a Windows LANGID (zh-CN 0x0804, zh-TW 0x0404, ...)


def _windows_ui_language() -> int | None:
    """The primary language id of the user's Windows display language, or None where it cannot be asked."""
    try:
        import ctypes

        return ctypes.windll.kernel32.GetUserDefaultUILanguage() & 0x3FF  # type: ignore[attr-defined]
    except (AttributeError, OSError, ImportError):
        return None


def tr(en: str, zh: str, **fields) -> str:
    """The message in the current language, formatted with ``fields``."""
    text = zh if lang() == "zh" else en
    return text.format(**fields) if fields else text
