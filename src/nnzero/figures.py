"""Matplotlib, set up once for every figure nnzero draws: the Agg backend (no screen needed) and a
CJK font for Chinese labels when one is installed.

A base module: it imports nothing of nnzero's but i18n and errors, so every layer may draw.
"""

from __future__ import annotations

import sys

import matplotlib

## A notebook keeps its own (inline) backend, so that figures drawn in a cell show there;
## everywhere else Agg: no screen is needed and no window ever opens.
if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)


def use_cjk_font() -> str | None:
    """Put the first installed CJK font first in matplotlib's list; its name, or None if none is installed."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in _CJK_FONTS:
        if name in installed:
            plt.rcParams["font.sans-serif"] = [name, *plt.rcParams["font.sans-serif"]]
            plt.rcParams["axes.unicode_minus"] = False
            return name
    return None


def figure_text(en: str, zh: str, **fields) -> str:
    """``tr`` for text drawn inside a figure: Chinese only where a CJK font can draw it, else English
    (a missing font would draw every Chinese character as a box)."""
    from nnzero.i18n import lang, tr

    if lang() == "zh" and use_cjk_font() is None:
        return en.format(**fields) if fields else en
    return tr(en, zh, **fields)
