"""``preprocess.json``: how to prepare an image for an exported model, written for someone who never reads nnzero.

    doc = preprocess_document(ckpt["input_spec"], ckpt["classes"])   # what `nnzero export` writes
    spec = spec_from_document(doc)                                   # and back: what the ONNX predictor uses

The document names the preparation (``kind``: "digit", "photo" or "resize"), its sizes, the
normalisation and the class order, and for digits spells out every step with its constants, taken
from the code that does it (``datasets/digit_photos.py``, ``datasets/_ink.py``), so the two cannot drift
apart. tests/export/test_third_party.py prepares images from this document alone (Pillow and NumPy)
and must get nnzero's answers; the web export's JavaScript follows it too.
"""

from __future__ import annotations

from nnzero.datasets import _ink
from nnzero.datasets import digit_photos as digits
from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.inference.prepare import preparation

FORMAT, VERSION = "nnzero-preprocess", 1
ROUNDING = "round() means round half to even (Python's round, NumPy's rint); int() truncates"
GREY = (
    "decode the file, turn it upright as its EXIF Orientation says, composite any transparency on white, "
    "then 8-bit grey L = (19595 R + 38470 G + 7471 B + 32768) >> 16 (Pillow's convert('L'))"
)
RGB = "decode, turn it upright (EXIF), composite any transparency on white, 8-bit R, G, B"
_INTERPOLATION = {"digit": "lanczos", "photo": "bilinear", "resize": "bilinear"}
_PILLOW_RESIZE = (
    "Pillow's Image.resize filters are antialiased: when shrinking, the filter is widened by the scale "
    "factor, so every source pixel counts (unlike OpenCV's INTER_LINEAR); 8-bit images are resized with "
    "fixed-point weights and rounded, float images in float"
)


def _photo_steps(how: str, size: int, channels: int) -> list[dict]:
    first = {"step": "decode", "does": GREY if channels == 1 else RGB}
    if how == "resize":
        return [first, {"step": "resize", "size": [size, size], "filter": "bilinear",
                        "does": f"resize to {size}x{size} whatever the aspect ratio; {_PILLOW_RESIZE}"}]  # fmt: skip
    return [
        first,
        {"step": "resize", "shorter_side": size, "filter": "bilinear",
         "does": f"resize so that the shorter side is {size}: (W, H) -> ({size}, int({size} * H / W)) when "
                 f"W <= H, else (int({size} * W / H), {size}); {_PILLOW_RESIZE}. A picture more than 16 times "
                 "longer than wide first keeps only its middle 16 squares"},
        {"step": "centre_crop", "size": [size, size],
         "does": f"crop {size}x{size} at left = round((W' - {size}) / 2), top = round((H' - {size}) / 2)"},
    ]  # fmt: skip


def _digit_steps() -> dict:
    """Every step of ``prepare_digit`` (photos) and ``prepare_canvas`` (drawings), with its constants."""
    border = f"the ring of pixels max(1, round({_ink.BORDER} * min(H, W))) wide along all four edges"
    photo = [
        {"step": "grey", "does": GREY},
        {
            "step": "shrink",
            "max_side": digits.WORK_SIDE,
            "filter": "box",
            "does": f"if the longer side is over {digits.WORK_SIDE}: s = {digits.WORK_SIDE} / longer side, resize "
            "to (max(1, round(W s)), max(1, round(H s))) with Pillow's BOX filter (area average); then "
            "work in float32",
        },
        {
            "step": "invert",
            "border": _ink.BORDER,
            "percentiles": [0.1, 99.9],
            "does": f"edge = median of {border}; lo, hi = the 0.1th and 99.9th percentiles of all pixels "
            "(linear interpolation); if hi - edge < edge - lo the paper is light: grey = 255 - grey",
        },
        {
            "step": "flatten",
            "grid": _ink.GRID,
            "percentile": _ink.PAPER_PERCENTILE,
            "opening": _ink.OPENING,
            "min_side": _ink.SMALL_SIDE,
            "does": f"paper level: if min(H, W) < {_ink.SMALL_SIDE}, the median of {border}; else cell = "
            f"ceil(max(H, W) / {_ink.GRID}), pad bottom and right with edge pixels to whole cells, level = "
            f"the {_ink.PAPER_PERCENTILE}th percentile of each cell, then a minimum and then a maximum "
            f"filter over {_ink.OPENING}x{_ink.OPENING} cells (offsets -2..+2, edge cells repeated), then "
            "back to (W, H) with Pillow's BILINEAR resize of the float image with box (0, 0, W / cell, "
            "H / cell). flat = grey - level",
        },
        {
            "step": "stretch",
            "bins": 256,
            "min_contrast": digits.MIN_CONTRAST,
            "ramp_start": digits.RAMP_START,
            "ink_percentile": digits.INK_PERCENTILE,
            "does": "t = Otsu's threshold: a 256-bin histogram of flat over [min, max] (NumPy's histogram); for "
            "a split after bin i (i < 255), n0, m0 = the count and mean (at bin centres) of bins 0..i and n1, m1 "
            "of the rest; t = the upper edge of the bin i that maximises n0 n1 (m0 - m1)^2; paper "
            f"= median of flat < t (0 if none), ink = the {digits.INK_PERCENTILE}th percentile of flat >= t; "
            f"if ink - paper < {digits.MIN_CONTRAST} there is no ink (an error); else low = paper + "
            f"{digits.RAMP_START} (ink - paper) and ink map = clip((flat - low) / (ink - low), 0, 1)",
        },
    ]
    drawing = [
        {
            "step": "ink",
            "alpha_below": 250,
            "min_ink": digits.MIN_CONTRAST,
            "does": "if the picture has an alpha channel whose minimum is below 250, ink map = alpha / 255. Else "
            f"grey (no shrinking), invert as above, base = median of {border}, ink map = clip((grey - base) "
            f"/ max(max(grey) - base, 1), 0, 1). If max(ink map) < {digits.MIN_CONTRAST} / 255: no ink",
        },
    ]
    shared = [
        {"step": "keep_digit", "connectivity": 8, "keep_inside": _ink.KEEP_INSIDE, "keep_near": _ink.KEEP_NEAR,
         "near": _ink.NEAR,
         "does": "blobs = 8-connected components of ink map > 0; keep the largest (pixel count); then, from "
                 f"the next largest down, keep a blob that touches the kept blobs' box (gap 0) and has >= "
                 f"{_ink.KEEP_INSIDE} of the largest's pixels, or lies within {_ink.NEAR} x (longer side of that "
                 f"box) of it and has >= {_ink.KEEP_NEAR}; the box grows with each blob kept. Ink elsewhere "
                 "becomes 0; no ink left is an error"},
        {"step": "crop", "margin": digits.MARGIN,
         "does": f"crop to the box of nonzero ink and pad {digits.MARGIN} pixels of 0 on every side"},
        {"step": "thicken", "thin": digits.THIN_STROKE, "stroke": digits.STROKE, "mask_at": 0.5,
         "does": f"s = {digits.BOX} / longer side of the ink's box; width = 2 area / perimeter of the mask ink "
                 ">= 0.5 (perimeter: pixel edges between mask and not-mask, outside the image is not-mask); if "
                 f"width s < {digits.THIN_STROKE}: r = int(({digits.STROKE} / s - width) / 2) and, if r > 0, "
                 "pad r zeros all round and take the maximum over each (2r+1)x(2r+1) square"},
        {"step": "fit", "box": digits.BOX, "filter": "lanczos",
         "does": f"s = {digits.BOX} / longer side of the ink's box (h, w); resize that box (Pillow's "
                 "Image.resize(size, LANCZOS, box=(left, top, right, bottom)) on the float image, which reads "
                 "the pixels around the box too) to (max(1, round(w s)), max(1, round(h s))); clip to [0, 1]"},
        {"step": "centre", "size": digits.SIZE, "centre": digits.CENTRE,
         "does": f"(cy, cx) = the patch's centre of mass (row and column indices weighted by value); top = "
                 f"clip(round({digits.CENTRE} - cy), 0, {digits.SIZE} - h), left likewise; paste it into "
                 f"{digits.SIZE}x{digits.SIZE} zeros; pixel = round(value x 255) as uint8 (white digit on black)"},
    ]  # fmt: skip
    return {"photo_steps": photo, "drawing_steps": drawing, "then": shared, "rounding": ROUNDING}


def preprocess_document(spec: dict, classes: list[str], threshold: float | None = None) -> dict:
    """The contents of preprocess.json for a checkpoint's input spec and classes."""
    how = preparation(spec)
    size, channels = int(spec["size"]), int(spec["channels"])
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "kind": how,
        "size": [size, size],
        "resize": size if how == "photo" else None,
        "interpolation": _INTERPOLATION[how],
        "channels": channels,
        "color": "grey" if channels == 1 else "RGB",
        "mean": [float(m) for m in spec["mean"]],
        "std": [float(s) for s in spec["std"]],
        "normalise": "x[c] = (pixel[c] / 255 - mean[c]) / std[c], float32",
        "input_layout": "NCHW",
        "classes": [str(c) for c in classes],
        "threshold": threshold,
    }
    doc["steps"] = _digit_steps() if how == "digit" else {"photo_steps": _photo_steps(how, size, channels)}
    return doc


def spec_from_document(doc: dict) -> dict:
    """The checkpoint-style input spec a preprocess.json describes (what ``prepare_image`` takes)."""
    if doc.get("format") != FORMAT or doc.get("version", 0) > VERSION:
        raise NnzeroError(
            tr(
                "this is not an nnzero preprocess.json (version {v} at most), so nnzero cannot prepare "
                "images for this model",
                "这不是 nnzero 的 preprocess.json (版本最高 {v}), nnzero 无法为该模型准备图像",
                v=VERSION,
            )
        )
    kinds = {"digit": ("digits", "crop"), "photo": ("photos", "crop"), "resize": ("photos", "squash")}
    kind, resize = kinds[doc["kind"]]
    return {
        "kind": kind,
        "channels": int(doc["channels"]),
        "size": int(doc["size"][0]),
        "mean": list(doc["mean"]),
        "std": list(doc["std"]),
        "resize": resize,
    }
