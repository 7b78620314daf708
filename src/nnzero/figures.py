"""Matplotlib, set up once for every figure nnzero draws: the Agg backend (no screen needed) and a
CJK font for Chinese labels when one is installed.

A base module: it imports nothing of nnzero's but i18n and errors, so every layer may draw.
"""

from __future__ import annotations

import matplotlib

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
