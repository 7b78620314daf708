"""How a user's picture becomes network input, from a checkpoint's input spec alone: NumPy and Pillow only.

    from nnzero.inference.prepare import prepare_image, preparation
    x = prepare_image(open_image("seven.jpg"), spec)   # uint8 (C, H, W), exactly what the network saw

Torch is never imported here, so the ONNX predictor (``nnzero predict model.onnx``) shares the very same
preparation as the PyTorch one without needing torch.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from nnzero.errors import DataError
from nnzero.i18n import tr


def preparation(spec: dict) -> str:
    """Which of the three preparations a spec asks for: "digit" (MNIST-style centring of a photo of a
    digit), "resize" (squashed straight to the square) or "photo" (shorter side, then the centre)."""
    if spec["kind"] == "digits" and spec["size"] == 28 and spec["channels"] == 1:
        return "digit"
    return "resize" if spec.get("resize") == "squash" else "photo"


def prepare_image(image: Image.Image, spec: dict) -> np.ndarray:
    """A PIL image made into exactly what the network saw in training: uint8 (C, H, W)."""
    from nnzero.datasets.digit_photos import prepare_digit
    from nnzero.datasets.images import prepare_photo, to_mode

    size, channels = spec["size"], spec["channels"]
    how = preparation(spec)
    if how == "digit":
        return prepare_digit(image)[None]  # (1, 28, 28)
    if how == "resize":  # trained on images squashed to the square
        fitted = to_mode(image, channels).resize(
            (size, size), resample=Image.Resampling.BILINEAR
        )  # as decode.py
        return np.asarray(fitted, np.uint8).reshape(size, size, channels).transpose(2, 0, 1)  # (C, H, W)
    return prepare_photo(image, size, channels)  # (C, size, size)


def prepare_files(prepare, names) -> tuple[dict, dict]:
    """({name: prepare(image)}, {name: why it could not be read}), in the order given.

    A file that cannot be read is an error of its own, never the end of the others.
    """
    from nnzero.datasets.images import open_image
    from nnzero.errors import NnzeroError

    prepared, errors = {}, {}
    for name in names:
        try:
            prepared[name] = prepare(open_image(name))  # (C, H, W) uint8
        except (NnzeroError, OSError) as e:
            message = str(e)
            errors[name] = message if message.startswith(str(name)) else f"{name}: {message}"
    return prepared, errors


def as_image(item) -> Image.Image:
    """A PIL image from a path, bytes, a PIL image or an array; a clear DataError otherwise."""
    from nnzero.datasets.images import open_image

    if hasattr(item, "mode"):
        return item
    if isinstance(item, np.ndarray):
        return image_from_array(item)
    return open_image(item)


def image_from_array(a: np.ndarray) -> Image.Image:
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[2] not in (1, 3, 4):
        a = a.transpose(1, 2, 0)  # (C, H, W) -> (H, W, C), as torch holds images
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or a.size == 0:
        raise DataError(
            tr(
                "an image array must be (H, W) or (H, W, 3|4), got shape {s}",
                "图像数组的形状必须是 (H, W) 或 (H, W, 3|4), 而不是 {s}",
                s=tuple(a.shape),
            )
        )
    if a.dtype != np.uint8:
        a = np.asarray(a, np.float64)
        if not np.isfinite(a).all():
            raise DataError(tr("the image array holds NaN or infinity", "图像数组中有 NaN 或无穷大"))
        a = a * 255 if a.max(initial=0) <= 1.0 else a  # float 0-1 as matplotlib shows it, else 0-255
        a = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(a))
