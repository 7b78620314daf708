"""Drawing a lesson's figure: Chinese labels when a CJK font is installed, English otherwise.

Without a CJK font (Debian: `apt-get install fonts-noto-cjk`) Chinese text would come out as
empty boxes, so the figure is drawn in English instead; ``nnzero.figures`` says so once, in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nnzero import figures
from nnzero.figures import plt, quiet_fonts, savefig

DPI = 100

__all__ = ["DPI", "choose_zh", "labeler", "plt", "render"]


def labeler(zh: bool) -> Callable[[str, str], str]:
    """``t("English", "中文")`` for figure text, in the figure's language."""
    return lambda en, zh_text: zh_text if zh else en


def choose_zh(wanted: bool | None = None) -> tuple[bool, bool]:
    """(draw the labels in Chinese?, is a CJK font installed?); ``wanted`` None follows the language."""
    return figures.figure_zh(wanted), figures.cjk_font() is not None


def render(figure_fn, result, path: Path) -> str:
    """Draw ``figure_fn(result, zh)`` into ``path`` (PNG); the language the labels were drawn in."""
    zh, _ = choose_zh()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with quiet_fonts():
        fig = figure_fn(result, zh)
    savefig(fig, path, dpi=DPI)
    return "zh" if zh else "en"
