"""Opening a user's image safely, and turning any Pillow mode into grey or RGB.

The input side of ``nnzero predict``, the web app and the photo data sets::

    from nnzero.datasets.images import open_image, to_mode, prepare_photo
    image = open_image("photo.jpg")            # decoded, EXIF-rotated PIL image, or DataError
    grey = to_mode(image, 1)                   # 'L'; to_mode(image, 3) gives 'RGB'
    x = prepare_photo(image, 224, 3)           # uint8 (3, 224, 224): shorter side to 224, centre crop

``open_image`` raises ``nnzero.errors.DataError`` (message names the file and the problem) for a missing
or unreadable file, a zero-byte file, a file that is not an image, a truncated image, too many bytes, and
too many pixels (checked from the header BEFORE decoding, so a decompression bomb costs nothing).
Callers that read many files catch ``DataError``, report it on its own line, and go on.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from nnzero.errors import DataError
from nnzero.i18n import tr

MAX_PIXELS = 40_000_000  # the web app's limit (issue 7); pass more for huge camera files, None for Pillow's
_ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")
_WIDE_GREY_MODES = ("I", "I;16", "I;16L", "I;16B", "I;16N", "F")


def _bad(name: str, en: str, zh: str, **fields) -> DataError:
    return DataError(f"{name}: " + tr(en, zh, **fields))


def _read_source(
    source: str | Path | bytes, name: str | None, max_bytes: int | None
) -> tuple[io.IOBase, str]:
    """An open binary stream of ``source`` and the name to use in messages, after the size checks."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        name = name or "<upload>"
        size = len(source)
    else:
        name = name or str(source)
        try:
            size = os.stat(source).st_size
        except FileNotFoundError:
            raise _bad(name, "file not found", "找不到文件") from None
        except OSError as err:
            raise _bad(
                name, "cannot read the file ({err})", "无法读取文件 ({err})", err=err.strerror
            ) from None
        if os.path.isdir(source):
            raise _bad(name, "is a folder, not an image file", "是文件夹, 不是图片文件")
    if size == 0:
        raise _bad(name, "the file is empty (0 bytes); it is not an image", "文件是空的 (0 字节), 不是图片")
    if max_bytes is not None and size > max_bytes:
        raise _bad(
            name,
            "{size:,} bytes is more than the limit of {limit:,} bytes",
            "{size:,} 字节, 超过上限 {limit:,} 字节",
            size=size,
            limit=max_bytes,
        )
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), name
    try:
        return open(source, "rb"), name  # noqa: SIM115 - closed by open_image's `with`
    except OSError as err:
        raise _bad(name, "cannot read the file ({err})", "无法读取文件 ({err})", err=err.strerror) from None


def open_image(
    source: str | Path | bytes,
    *,
    max_pixels: int | None = MAX_PIXELS,
    max_bytes: int | None = None,
    name: str | None = None,
    draft: tuple[int, int] | None = None,
) -> Image.Image:
    """Decode ``source`` (a path or the file's bytes) fully, apply its EXIF orientation, or raise DataError.

    ``name`` labels bytes in messages (e.g. an upload's file name). ``draft=(w, h)`` lets a JPEG decode
    at 1/2, 1/4 or 1/8 scale while staying at least that big: much faster for big photos made small.
    Pillow's own bomb limit (about 179 megapixels) still applies when ``max_pixels`` is None.
    The first frame of an animation is used; no file is left open. ``image.info["source"]`` holds the name.
    """
    stream, name = _read_source(source, name, max_bytes)
    with stream:
        try:
            image = _decode(stream, name, max_pixels, draft)
        except DataError:
            raise
        except UnidentifiedImageError:
            raise _bad(
                name,
                "not an image Pillow can read (wrong extension, or another kind of file?)",
                "不是 Pillow 能读取的图片 (扩展名不对, 或是别的文件?)",
            ) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
            raise _bad(
                name, "too many pixels, refusing to decode it ({err})", "像素太多, 拒绝解码 ({err})", err=err
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError, struct.error) as err:
            raise _bad(
                name,
                "the image is truncated or damaged and cannot be decoded ({err})",
                "图片被截断或已损坏, 无法解码 ({err})",
                err=err,
            ) from None
        image = _exif_upright(image)
    image.info["source"] = name  # later messages (e.g. "no ink found") can name the file
    return image


def _decode(
    stream: io.IOBase, name: str, max_pixels: int | None, draft: tuple[int, int] | None
) -> Image.Image:
    with warnings.catch_warnings():
        # Pillow only *warns* between 89 and 179 megapixels; make that an error we can report.
        # (Threads racing here can at worst leave this filter on for good: harmless, it is what we want.)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(stream)  # reads the header only: size and mode are known, no pixels yet
    width, height = image.size
    if max_pixels is not None and width * height > max_pixels:
        raise _bad(
            name,
            "{w}x{h} = {mp:.1f} megapixels is more than the limit of {limit:.1f}; "
            "refusing to decode it (a decompression bomb, or a photo to shrink first)",
            "{w}x{h} = {mp:.1f} 百万像素, 超过上限 {limit:.1f}; 拒绝解码 (可能是解压炸弹, 或请先缩小照片)",
            w=width,
            h=height,
            mp=width * height / 1e6,
            limit=max_pixels / 1e6,
        )
    if draft is not None and image.format == "JPEG":
        image.draft(image.mode, draft)
    image.load()  # decode every pixel now, so a truncated file fails here and not later
    return image


def _exif_upright(image: Image.Image) -> Image.Image:
    """Rotate/flip as the camera's EXIF Orientation says; a damaged EXIF block is ignored, not fatal."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - the pixels are fine; only the metadata is bad
        return image


def to_mode(image: Image.Image, channels: int) -> Image.Image:
    """``image`` as 8-bit grey ('L', channels=1) or 'RGB' (channels=3), whatever its mode.

    Transparent pixels are composited on WHITE (ink drawn on a transparent canvas is dark on white, as
    on paper); 16-bit and float grey is scaled by its actual range (not clipped at 255); CMYK uses the
    file's ICC profile when it has one.
    """
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    target = "L" if channels == 1 else "RGB"
    if image.mode == target:
        return image
    if image.mode in _WIDE_GREY_MODES:
        return _stretch_wide(image).convert(target)
    if image.mode == "CMYK":
        return _cmyk_to_rgb(image).convert(target)
    if image.mode == "P" or "transparency" in image.info:
        ## a palette (or a single transparent colour) may hide an alpha channel: make it explicit
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in _ALPHA_MODES:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba).convert("RGB")
    try:
        return image.convert(target)
    except ValueError as err:
        raise DataError(
            tr(
                "cannot convert an image of mode {mode} to {target} ({err})",
                "无法把模式为 {mode} 的图片转换为 {target} ({err})",
                mode=image.mode,
                target=target,
                err=err,
            )
        ) from None


def _stretch_wide(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit or float grey to 8 bits, mapping the darkest pixel to 0 and the brightest to 255."""
    values = np.asarray(image, dtype=np.float64)  # (H, W)
    lo, hi = float(values.min()), float(values.max())
    if hi > lo:
        scaled = (values - lo) * (255.0 / (hi - lo))
    else:  # a flat image stays flat
        scaled = np.full_like(values, min(max(lo, 0.0), 255.0))
    return Image.fromarray(np.rint(scaled).astype(np.uint8), "L")


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if icc:
        try:
            from PIL import ImageCms  # Pillow built without LittleCMS has no ImageCms

            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except Exception:  # noqa: BLE001 - no LittleCMS, or a broken profile:
            pass  # a broken profile: Pillow's plain formula below is close enough
    return image.convert("RGB")


def prepare_photo(image: Image.Image, size: int, channels: int = 3) -> np.ndarray:
    """uint8 (C, size, size): shorter side resized to ``size``, centre cropped (the usual eval transform).

    Pixel for pixel what torchvision's ``Resize(size)`` + ``CenterCrop(size)`` give on a PIL image
    (bilinear, antialiased), so a model trained with either sees the same input.
    """
    image = to_mode(image, channels)
    width, height = image.size
    short, long = min(width, height), max(width, height)
    if long > 16 * short:
        ## a 1 x 40,000,000 strip would be resized to 32 x 1.3 billion pixels before the crop: keep only
        ## its middle (16 squares wide, far more than the filter reaches), which gives the same crop
        keep = 16 * short
        cut = (long - keep) // 2
        box = (cut, 0, cut + keep, height) if width > height else (0, cut, width, cut + keep)
        image = image.crop(box)
        width, height = image.size
    if width <= height:  ## the shorter side becomes `size`; the longer keeps the aspect ratio (rounded down)
        new_size = (size, int(size * height / width))
    else:
        new_size = (int(size * width / height), size)
    resized = image.resize(new_size, Image.Resampling.BILINEAR)
    left, top = int(round((new_size[0] - size) / 2.0)), int(round((new_size[1] - size) / 2.0))
    square = resized.crop((left, top, left + size, top + size))
    pixels = np.asarray(square, dtype=np.uint8)  # (size, size) or (size, size, 3)
    return pixels[None] if channels == 1 else pixels.transpose(2, 0, 1).copy()  # (C, size, size)
