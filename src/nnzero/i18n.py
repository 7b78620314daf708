"""Messages in English and Chinese.

Every user-facing sentence is written in both languages where it is used:
``tr("Test accuracy: {acc:.4f}", "测试准确率: {acc:.4f}", acc=0.99)``.
The language comes from ``set_lang`` (the CLI's ``--lang``), else ``NNZERO_LANG``,
else English.
"""

from __future__ import annotations

import os

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
    return "zh" if env.startswith("zh") else "en"


def tr(en: str, zh: str, **fields) -> str:
    """The message in the current language, formatted with ``fields``."""
    text = zh if lang() == "zh" else en
    return text.format(**fields) if fields else text
