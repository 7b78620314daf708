"""Drawing a lesson's figure: Chinese labels when a CJK font is installed, English otherwise.

Without a CJK font (Debian: `apt-get install fonts-noto-cjk`) Chinese text would come
out as empty boxes, so the figure is drawn in English instead and matplotlib's
missing-glyph warnings are silenced for that fallback only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from nnzero.evaluation.plots import plt, use_cjk_font
from nnzero.i18n import lang

DPI = 100


def labeler(zh: bool) -> Callable[[str, str], str]:
    """``t("English", "中文")`` for figure text, in the figure's language."""
    return lambda en, zh_text: zh_text if zh else en


@contextmanager
def _quiet_missing_glyphs(active: bool):
    with warnings.catch_warnings():
        if active:
            warnings.filterwarnings("ignore", message=r"Glyph .* missing from", category=UserWarning)
        yield


def choose_zh(wanted: bool | None = None) -> tuple[bool, bool]:
    """(draw the labels in Chinese?, is a CJK font installed?); ``wanted`` None follows the language."""
    has_cjk = use_cjk_font() is not None
    wanted = lang() == "zh" if wanted is None else wanted
    return wanted and has_cjk, has_cjk


def render(figure_fn, result, path: Path) -> str:
    """Draw ``figure_fn(result, zh)`` into ``path`` (PNG); the language the labels were drawn in."""
    zh, has_cjk = choose_zh()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _quiet_missing_glyphs(not has_cjk):
        fig = figure_fn(result, zh)
        try:
            fig.savefig(path, dpi=DPI)
        finally:
            plt.close(fig)
    return "zh" if zh else "en"
