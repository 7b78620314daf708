"""``Predictor``: a checkpoint turned into a function from pictures to class probabilities.

    predictor = nnzero.load("runs/NAME/best.pt")
    predictor.predict(["seven.jpg", pil_image, uint8_array], top=3)
    predictor.answer(prepared_batch, top=3)    # [{"label": "7" or "unknown", "unknown": False, "top": [...]}]

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
from nnzero.unknown import Unknown, features_and_logits

UNKNOWN = "unknown"  # the label of an answer that is none of the classes (不确定 on the page)


class Predictor:
    def __init__(self, ckpt: dict, device: str = "auto"):
        self.checkpoint = ckpt
        self.device = pick_device(device)
        self.model = model_from_checkpoint(ckpt, self.device)
        self.classes: list[str] = list(ckpt["classes"])
        self.spec: dict = dict(ckpt["input_spec"])
        shape = (1, self.spec["channels"], 1, 1)
        self._mean = torch.tensor(self.spec["mean"], dtype=torch.float32, device=self.device).view(shape)
        self._std = torch.tensor(self.spec["std"], dtype=torch.float32, device=self.device).view(shape)
        self._lock = threading.Lock()
        ## what says "none of my classes" (``nnzero.unknown``); None for checkpoints without it
        self.unknown: Unknown | None = Unknown.from_dict(ckpt.get("unknown"))
        self._imagenet = None  # the backbone's ImageNet classifier, read when first asked for

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "auto") -> Predictor:
        return cls(load_checkpoint(path), device)

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

    def _input(self, batch: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device).float().div_(255)  # (N, C, H, W)
        return (x - self._mean) / self._std

    @torch.no_grad()
    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes) of prepared uint8 images (N, C, H, W)."""
        x = self._input(batch)
        with self._lock:
            logits = self.model(x)  # (N, classes)
        return torch.softmax(logits.float(), 1).cpu().numpy()

    def answer(self, batch: np.ndarray, top: int = 3, unknown: bool = True, imagenet: int = 0) -> list[dict]:
        """One answer per prepared uint8 image (N, C, H, W): what the CLI, the API and the page show.

        ``{"label": the top class, or "unknown" below the threshold, "top": [{"label", "prob"}, ...]}``
        plus, when the checkpoint can tell (and ``unknown``), ``"unknown": bool`` and ``"score"``
        (the similarity to the k-th nearest known picture; ``threshold`` in ``self.unknown``), and,
        with ``imagenet`` > 0, the backbone's own top ImageNet classes."""
        x = self._input(batch)
        with self._lock, torch.no_grad():
            feats, logits = features_and_logits(self.model, x)  # (N, D), (N, classes)
        probs = torch.softmax(logits, 1).cpu().numpy()
        answers = [{"label": self.classes[int(p.argmax())], "top": self.top(p, top)} for p in probs]
        if unknown and self.unknown is not None:
            for a, score in zip(answers, self.unknown.scores(feats.cpu())):
                a["unknown"] = bool(score < self.unknown.threshold)
                a["score"] = round(float(score), 4)
                a["label"] = UNKNOWN if a["unknown"] else a["label"]
        if imagenet:
            from nnzero.models.imagenet import top_imagenet

            for a, p in zip(answers, self.imagenet_head().probabilities(feats.cpu())):
                a["imagenet"] = top_imagenet(p, imagenet)
        return answers

    def imagenet_head(self):
        """The backbone's ImageNet classifier (EfficientNet-Lite checkpoints; NnzeroError otherwise)."""
        if self._imagenet is None:
            from nnzero.models.imagenet import imagenet_head

            self._imagenet = imagenet_head(self.checkpoint["model_name"])
        return self._imagenet

    def top(self, probs: np.ndarray, k: int = 3) -> list[dict]:
        order = np.argsort(-probs)[:k]
        return [{"label": self.classes[i], "prob": round(float(probs[i]), 6)} for i in order]

    def predict(self, images, top: int = 3, unknown: bool = True) -> list[Answer]:
        """Top-``top`` labels with probabilities for each image: paths, bytes, PIL images or arrays.

        One image (not in a list) is taken as a list of one. An array is a picture as NumPy holds
        one: (H, W) grey or (H, W, 3|4) colour, uint8 0-255 or float 0-1. Each answer is the list of
        top classes, with ``.unknown`` (True: none of the classes; ``unknown=False``: never) and ``.label``.
        """
        if isinstance(images, (str, Path, bytes, np.ndarray)) or hasattr(images, "mode"):
            images = [images]
        batch = np.stack([self.prepare(as_image(im)) for im in images])
        return [
            Answer(a["top"], a.get("unknown", False), a["label"]) for a in self.answer(batch, top, unknown)
        ]


class Answer(list):
    """The top classes of one image (a list of {"label", "prob"}, as before), and whether it is none of them."""

    def __init__(self, top: list[dict], unknown: bool, label: str):
        super().__init__(top)
        self.unknown, self.label = unknown, label


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


def load(checkpoint: str | Path, *, device: str = "auto") -> Predictor:
    """``nnzero.load``: a checkpoint (``best.pt``) ready to predict; the model and its preprocessing
    are rebuilt from the file alone."""
    return Predictor.from_checkpoint(checkpoint, device)
