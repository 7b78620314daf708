"""Shared checks for the lesson tests: PNGs that really show something, and a clean language per test."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnzero.i18n import set_lang


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch):
    monkeypatch.delenv("NNZERO_LANG", raising=False)
    set_lang(None)
    yield
    set_lang(None)


@pytest.fixture
def png_problems():
    return _png_problems


def _png_problems(path: Path, size: tuple[int, int]) -> list[str]:
    """Why ``path`` is not a real figure of ``size`` pixels (empty list: it is one)."""
    problems = []
    with Image.open(path) as im:
        im.load()  # decodes the whole file: a truncated PNG fails here
        if im.size != size:
            problems.append(f"size {im.size}, expected {size}")
        rgb = np.asarray(im.convert("RGB"), dtype=np.int64)  # (H, W, 3)
    if rgb.std() < 15:
        problems.append(f"nearly uniform (pixel std {rgb.std():.1f})")
    ## empty axes are black, white and gray only; every lesson draws something in colour
    coloured = float((rgb.max(-1) - rgb.min(-1) > 40).mean())
    if coloured < 0.005:
        problems.append(f"only {coloured:.2%} coloured pixels")
    return problems
