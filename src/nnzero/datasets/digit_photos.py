"""A user's digit, photographed or drawn, made to look like an MNIST digit: uint8 (28, 28).

    from nnzero.datasets.images import open_image
    from nnzero.datasets.digit_photos import prepare_digit, prepare_canvas
    x = prepare_digit(open_image("photo.jpg"))   # dark ink on light paper, any size, off-centre
    x = prepare_canvas(canvas_image)             # the web page's canvas (PIL image or array)

Both raise ``nnzero.errors.DataError`` ("no ink found") for a blank picture. ``prepare_photo`` (for
photo models) is re-exported from ``nnzero.datasets.images`` so a predictor imports all three from here.

## MNIST was made in a known way (LeCun et al. 1998): white ink on black, the digit scaled so its
## longer side is 20 pixels (keeping its aspect, anti-aliased: hence the grey edges), then placed in
## 28x28 so that its centre of mass falls on pixel (14, 14). A network trained on MNIST has only seen
## digits like that; a photo gets the same treatment or the network is guessing.
## Photos add what MNIST never had: grey paper, uneven light, noise, specks and thin pens.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from nnzero.datasets import _ink
from nnzero.datasets.images import prepare_photo, to_mode
from nnzero.errors import DataError
from nnzero.i18n import tr

__all__ = ["prepare_canvas", "prepare_digit", "prepare_photo"]  # prepare_photo lives in images.py

SIZE, BOX, CENTRE = 28, 20, 14  # MNIST: 28x28 image, digit fitted in 20x20, centre of mass at (14, 14)
WORK_SIDE = 600  # photos are shrunk to this longer side first: plenty for a digit, fast to clean
MIN_CONTRAST = 40  # ink must differ from the paper by this many grey levels (of 255), or there is none
THIN_STROKE, STROKE = 1.2, 2.0  # MNIST strokes are ~2 px wide (median); thinner than 1.2 gets thickened
RAMP_START, INK_PERCENTILE = 0.25, 90  # the contrast ramp: from a quarter above the paper to the ink's 90th %
MARGIN = 2  # pixels of paper kept around the cropped digit, so resampling sees its edges


def prepare_digit(image: Image.Image, background: str = "auto") -> np.ndarray:
    """uint8 (28, 28), white digit on black, from a photo or scan of a digit (any size, mode, position).

    ``background`` is "auto" (decided from the border pixels), "light" (dark ink on paper) or "dark".
    """
    grey = _working_grey(image)  # (h, w) float32, 0..255
    if _is_light(grey, background):
        grey = 255.0 - grey  ## MNIST's ink is bright: dark ink on light paper must be inverted
    flat = grey - _ink.background_level(grey)  ## remove shadows and uneven light: paper goes to ~0
    return _to_mnist(_stretch(flat), _name(image))


def prepare_canvas(canvas: Image.Image | np.ndarray) -> np.ndarray:
    """uint8 (28, 28) from a drawing: white strokes on black, or any-colour strokes on transparent."""
    image = Image.fromarray(np.asarray(canvas, dtype=np.uint8)) if isinstance(canvas, np.ndarray) else canvas
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    if alpha is not None and alpha.getextrema()[0] < 250:
        ## on a transparent canvas the strokes ARE the alpha, whatever their colour
        ink = np.asarray(alpha, dtype=np.float32) / 255.0  # (H, W)
    else:
        grey = np.asarray(to_mode(image, 1), dtype=np.float32)  # (H, W)
        if _is_light(grey, "auto"):
            grey = 255.0 - grey
        base = float(np.median(_ink.border(grey)))
        ink = np.clip((grey - base) / max(float(grey.max()) - base, 1.0), 0.0, 1.0)  # (H, W)
    if ink.max() < MIN_CONTRAST / 255:
        raise _no_ink("<canvas>")
    return _to_mnist(ink, "<canvas>")


def _name(image: Image.Image) -> str:
    return image.info.get("source") or getattr(image, "filename", "") or "<image>"


def _no_ink(name: str) -> DataError:
    return DataError(
        f"{name}: "
        + tr(
            "no ink found: the picture looks blank (write the digit darker or bigger?)",
            "没有找到笔迹: 图片看起来是空白的 (数字写得更黑或更大一些?)",
        )
    )


def _working_grey(image: Image.Image) -> np.ndarray:
    grey = to_mode(image, 1)
    scale = WORK_SIDE / max(grey.size)
    if scale < 1:  ## shrink by averaging (BOX): a thin pen stroke fades a little but never vanishes
        size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
        grey = grey.resize(size, Image.Resampling.BOX)
    return np.asarray(grey, dtype=np.float32)  # (h, w)


def _is_light(grey: np.ndarray, background: str) -> bool:
    """Is the background lighter than the ink? The border is background; the ink is the other extreme."""
    if background not in ("auto", "light", "dark"):
        raise ValueError(f"background must be 'auto', 'light' or 'dark', got {background!r}")
    if background != "auto":
        return background == "light"
    edge = float(np.median(_ink.border(grey)))
    darkest, brightest = np.percentile(grey, [0.1, 99.9])
    return brightest - edge < edge - darkest


def _stretch(flat: np.ndarray) -> np.ndarray:
    """Background (~0) to 0, the ink's typical level to 1, with a soft ramp between: float32 in [0, 1]."""
    ## Photographed paper is grey and ink is not black: only the difference matters. The split between
    ## paper and ink comes from Otsu's threshold; the ramp starts a quarter of the way up from the paper,
    ## above its texture and JPEG noise, and ends at the ink's 90th percentile.
    threshold = _ink.otsu(flat)
    paper = float(np.median(flat[flat < threshold])) if (flat < threshold).any() else 0.0
    ink = float(np.percentile(flat[flat >= threshold], INK_PERCENTILE))
    if ink - paper < MIN_CONTRAST:
        return np.zeros_like(flat)
    low = paper + RAMP_START * (ink - paper)
    return np.clip((flat - low) / (ink - low), 0.0, 1.0)  # (h, w)


def _to_mnist(ink: np.ndarray, name: str) -> np.ndarray:
    """Ink map in [0, 1] (bright = ink) -> uint8 (28, 28): keep the digit, crop, fit 20x20, centre by mass."""
    ink = ink * _ink.digit_mask(ink > 0)  ## drop specks and dust far from the digit
    if not ink.any():
        raise _no_ink(name)
    left, top, right, bottom = _bbox(ink)
    ink = np.pad(ink[top:bottom, left:right], MARGIN)  # (h + 4, w + 4) the digit and a margin of paper
    ink = _thicken(ink, BOX / max(_box_size(ink)))
    height, width = _box_size(ink)
    scale = BOX / max(height, width)  ## the LONGER side becomes 20 px; the aspect ratio is kept
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    ## anti-aliased resampling of just the digit's box (Pillow reads the pixels around it as well)
    patch = Image.fromarray(ink.astype(np.float32), "F").resize(
        size, Image.Resampling.LANCZOS, box=_bbox(ink)
    )
    patch = np.clip(np.asarray(patch), 0.0, 1.0)  # (ph, pw) LANCZOS overshoots a little: clip
    if patch.sum() <= 0:  # a speck of ink too faint to survive the shrinking
        raise _no_ink(name)
    return _place_by_mass(patch)


def _bbox(ink: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the nonzero pixels, right/bottom exclusive."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _box_size(ink: np.ndarray) -> tuple[int, int]:
    left, top, right, bottom = _bbox(ink)
    return bottom - top, right - left


def _thicken(ink: np.ndarray, scale: float) -> np.ndarray:
    """Widen strokes that would be thinner than 1.2 px at 28x28 (a ballpoint pen on a big photo)."""
    width = _ink.stroke_width(ink >= 0.5)  # the stroke: at least half-strength ink
    if width * scale >= THIN_STROKE:
        return ink
    radius = int((STROKE / scale - width) / 2)  # rounded down: a 28x28 scan is never made fatter
    return _ink.dilate(ink, radius)


def _place_by_mass(patch: np.ndarray) -> np.ndarray:
    """Paste ``patch`` into 28x28 with its centre of mass on (14, 14), never cutting ink off."""
    height, width = patch.shape
    mass = patch.sum()
    com_y = (patch.sum(axis=1) @ np.arange(height)) / mass
    com_x = (patch.sum(axis=0) @ np.arange(width)) / mass
    top = int(np.clip(round(CENTRE - com_y), 0, SIZE - height))
    left = int(np.clip(round(CENTRE - com_x), 0, SIZE - width))
    out = np.zeros((SIZE, SIZE), dtype=np.float32)  # (28, 28)
    out[top : top + height, left : left + width] = patch
    return np.rint(out * 255.0).astype(np.uint8)  # (28, 28)
