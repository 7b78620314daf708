"""Checks shared by the evaluation tests: PNGs decode and are not blank, HTML pages are self-contained."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
from PIL import Image


def decode_png(data: bytes | Path) -> Image.Image:
    image = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    image.load()
    assert image.format == "PNG"
    return image


def assert_not_blank(image: Image.Image, min_colours: int = 50) -> None:
    pixels = np.asarray(image.convert("RGB"))  # (H, W, 3)
    assert pixels.std() > 10, "the picture is (nearly) one flat colour"
    packed = pixels[..., 0].astype(np.int32) << 16 | pixels[..., 1].astype(np.int32) << 8 | pixels[..., 2]
    assert len(np.unique(packed)) >= min_colours, "too few colours for a real figure"


def embedded_images(html: str) -> dict[str, Image.Image]:
    """Every <img> of a page, decoded from its data URI, by id (or alt when it has no id)."""
    found = {}
    for tag in re.findall(r"<img\b[^>]*>", html):
        src = re.search(r'src="([^"]*)"', tag).group(1)
        assert src.startswith("data:image/png;base64,"), src[:60]
        key = re.search(r'id="([^"]*)"', tag) or re.search(r'alt="([^"]*)"', tag)
        found[key.group(1)] = decode_png(base64.b64decode(src.split(",", 1)[1]))
    return found


def assert_self_contained(html: str) -> None:
    """Nothing to fetch: no external src/href, no script, no stylesheet link."""
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "http://" not in html and "https://" not in html
