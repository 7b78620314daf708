"""``Predictor``: a checkpoint turned into a function from pictures to class probabilities.

    predictor = nnzero.load("runs/NAME/best.pt")
    predictor.predict(["seven.jpg", pil_image, uint8_array], top=3)

Model and preprocessing are rebuilt from the checkpoint alone (its model name, sizes,
classes and input spec), so a file trained anywhere predicts anywhere. Thread-safe:
one lock around the forward pass, so a web server may share one Predictor.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from nnzero.errors import DataError, NnzeroError
from nnzero.i18n import tr
from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint
from nnzero.training.device import pick_device


class Predictor:
    """``tta``: "shifts" or "none" instead of the test-time augmentation the checkpoint keeps (None)."""

    def __init__(self, ckpt: dict, device: str = "auto", tta: str | None = None):
        from nnzero.models.committee import tta_spec

        self.checkpoint = ckpt = ckpt if tta is None else {**ckpt, "tta": tta_spec(tta)}
        self.device = pick_device(device)
        self.model = model_from_checkpoint(ckpt, self.device)
        self.classes: list[str] = list(ckpt["classes"])
        self.spec: dict = dict(ckpt["input_spec"])
        shape = (1, self.spec["channels"], 1, 1)
        self._mean = torch.tensor(self.spec["mean"], dtype=torch.float32, device=self.device).view(shape)
        self._std = torch.tensor(self.spec["std"], dtype=torch.float32, device=self.device).view(shape)
        self._lock = threading.Lock()

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "auto", tta: str | None = None) -> Predictor:
        return cls(load_checkpoint(path), device, tta)

    @property
    def name(self) -> str:
        return Path(self.checkpoint.get("path", "model")).parent.name or "model"

    def prepare(self, image) -> np.ndarray:
        """A PIL image made into exactly what the network saw in training: uint8 (C, H, W)."""
        from nnzero.datasets.digit_photos import prepare_digit
        from nnzero.datasets.images import prepare_photo, to_mode

        size, channels = self.spec["size"], self.spec["channels"]
        if self.spec["kind"] == "digits" and size == 28 and channels == 1:
            return prepare_digit(image)[None]  # (1, 28, 28)
        if self.spec.get("resize") == "squash":  # trained on images squashed to the square
            fitted = to_mode(image, channels).resize((size, size), resample=2)  # 2: bilinear, as decode.py
            return np.asarray(fitted, np.uint8).reshape(size, size, channels).transpose(2, 0, 1)  # (C, H, W)
        return prepare_photo(image, size, channels)  # (C, size, size)

    def prepare_files(self, names) -> tuple[dict, dict]:
        """({name: prepared uint8 (C, H, W)}, {name: why it could not be read}), in the order given.

        A file that cannot be read is an error of its own, never the end of the others.
        """
        from nnzero.datasets.images import open_image

        prepared, errors = {}, {}
        for name in names:
            try:
                prepared[name] = self.prepare(open_image(name))  # (C, H, W) uint8
            except (NnzeroError, OSError) as e:
                message = str(e)
                errors[name] = message if message.startswith(str(name)) else f"{name}: {message}"
        return prepared, errors

    @torch.no_grad()
    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes) of prepared uint8 images (N, C, H, W)."""
        x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device).float().div_(255)  # (N, C, H, W)
        x = (x - self._mean) / self._std
        with self._lock:
            logits = self.model(x)  # (N, classes)
        return torch.softmax(logits.float(), 1).cpu().numpy()

    def top(self, probs: np.ndarray, k: int = 3) -> list[dict]:
        order = np.argsort(-probs)[:k]
        return [{"label": self.classes[i], "prob": round(float(probs[i]), 6)} for i in order]

    def predict(self, images, top: int = 3) -> list[list[dict]]:
        """Top-``top`` labels with probabilities for each image: paths, bytes, PIL images or arrays.

        One image (not in a list) is taken as a list of one. An array is a picture as NumPy holds
        one: (H, W) grey or (H, W, 3|4) colour, uint8 0-255 or float 0-1.
        """
        if isinstance(images, (str, Path, bytes, np.ndarray)) or hasattr(images, "mode"):
            images = [images]
        batch = np.stack([self.prepare(as_image(im)) for im in images])
        return [self.top(p, top) for p in self.probabilities(batch)]


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


def load(checkpoint: str | Path, *, device: str = "auto", tta: str | None = None) -> Predictor:
    """``nnzero.load``: a checkpoint (``best.pt``) ready to predict; the model and its preprocessing
    are rebuilt from the file alone (``tta="shifts"``/``"none"``: other test-time augmentation)."""
    return Predictor.from_checkpoint(checkpoint, device, tta)
