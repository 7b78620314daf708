"""Text tables that line up in a terminal even when cells hold Chinese (two columns a character)."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cell(value, size: int, fmt: str = "", left: bool = False) -> str:
    """``value`` formatted with ``fmt`` and padded to ``size`` terminal columns."""
    text = format(value, fmt)
    pad = " " * max(0, size - width(text))
    return text + pad if left else pad + text
