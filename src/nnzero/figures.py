"""Matplotlib for every figure nnzero draws: the Agg backend (no screen needed) and text its fonts can show.

    from nnzero.figures import plt, figure_zh, savefig
    zh = figure_zh()                      # draw Chinese? (the language is Chinese and a CJK font exists)
    ax.set_title("loss" if not zh else "损失")
    savefig(fig, "curves.png", dpi=100)

English figures draw English only. Chinese figures use the first CJK font installed (Noto Sans CJK,
WenQuanYi or Droid on Linux; Microsoft YaHei, SimHei or DengXian on Windows; PingFang, Hiragino or
Heiti on macOS) through matplotlib's font fallback, so Latin text keeps its usual font. Where there is
none, one line says so with the fix, and the figure is drawn in English instead of empty boxes.
No matplotlib font warning reaches the terminal.

A base module: it imports nothing of nnzero's but i18n and errors, so every layer may draw.
"""

from __future__ import annotations

import logging
import sys
import warnings
from contextlib import contextmanager

import matplotlib

## A notebook keeps its own (inline) backend, so that figures drawn in a cell show there;
## everywhere else Agg: no screen is needed and no window ever opens.
if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from nnzero.i18n import lang, tr  # noqa: E402

# matplotlib logs its font lookups ("findfont: Failed to find font weight normal for WenQuanYi Zen Hei,
# now using 500") as warnings on stderr; they are about the fonts, not about the user's work
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

CJK_FONTS = (
    # Linux
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    # Windows
    "Microsoft YaHei",
    "SimHei",
    "DengXian",
    # macOS
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "STHeiti",
    "Arial Unicode MS",
)
FONT_HINT = {
    "linux": "sudo apt install fonts-noto-cjk, then delete ~/.cache/matplotlib",
    "win32": "Settings > Time & language > Language > add Chinese (Simplified)",
    "darwin": "macOS ships PingFang SC; reinstall it from Font Book",
}
_MISSING_GLYPH = r"Glyph .* missing from (current )?font"
_found: list[str | None] = []  # the lookup, done once per process
_told = False


def cjk_font() -> str | None:
    """The first installed CJK font of CJK_FONTS, or None (looked up once)."""
    if not _found:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        _found.append(next((name for name in CJK_FONTS if name in installed), None))
    return _found[0]


def use_cjk_font() -> str | None:
    """Put the CJK font (if any) at the head of the sans-serif list; matplotlib falls back glyph by glyph."""
    name = cjk_font()
    if name is not None and plt.rcParams["font.sans-serif"][:1] != [name]:
        plt.rcParams["font.sans-serif"] = [name, *plt.rcParams["font.sans-serif"]]
        plt.rcParams["axes.unicode_minus"] = False  # CJK fonts often lack the minus sign
    return name


def figure_zh(wanted: bool | None = None) -> bool:
    """Draw this figure's text in Chinese? ``wanted`` None follows the language; False without a CJK font.

    Wanting Chinese on a machine without a CJK font says so once per process, in one line, with the fix.
    """
    wanted = lang() == "zh" if wanted is None else wanted
    if not wanted:
        return False
    if use_cjk_font() is not None:
        return True
    _tell_once()
    return False


def pick(en: str, zh: str, zh_figure: bool) -> str:
    """A figure's text: Chinese only when the figure is drawn in Chinese."""
    return zh if zh_figure else en


def figure_tr(zh_figure: bool):
    """A ``tr`` for one figure: ``t(en, zh, **fields)`` in the language the figure is drawn in."""

    def t(en: str, zh: str, **fields) -> str:
        text = zh if zh_figure else en
        return text.format(**fields) if fields else text

    return t


def _tell_once() -> None:
    global _told
    if _told:
        return
    _told = True
    hint = FONT_HINT.get(sys.platform, FONT_HINT["linux"])
    print(
        tr(
            "note: no Chinese font found, so figures are drawn in English (to fix: {hint})",
            "提示: 没有找到中文字体, 图中文字改用英文 (解决办法: {hint})",
            hint=hint,
        ),
        file=sys.stderr,
    )


@contextmanager
def quiet_fonts():
    """Matplotlib's font warnings (a glyph missing, e.g. a Chinese class name) become one note at most."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        if issubclass(w.category, UserWarning) and _is_font_warning(str(w.message)):
            if cjk_font() is None:  # with a CJK font, a glyph no font has (an emoji) is just left out
                _tell_once()
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _is_font_warning(message: str) -> bool:
    import re

    return re.search(_MISSING_GLYPH, message) is not None or message.startswith("findfont:")


def savefig(fig, out, **kwargs) -> None:
    """``fig.savefig(out, **kwargs)`` (text is laid out here, so here the font warnings come), then close."""
    try:
        with quiet_fonts():
            fig.savefig(out, **kwargs)
    finally:
        plt.close(fig)


__all__ = [
    "CJK_FONTS",
    "cjk_font",
    "figure_tr",
    "figure_zh",
    "pick",
    "plt",
    "quiet_fonts",
    "savefig",
    "use_cjk_font",
]
