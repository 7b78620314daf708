"""``Predictor``: a checkpoint turned into a function from pictures to class probabilities.

Model and preprocessing are rebuilt from the checkpoint alone (its model name, sizes,
classes and input spec), so a file trained anywhere predicts anywhere. Thread-safe:
one lock around the forward pass, so a web server may share one Predictor.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import torch

from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint
from nnzero.training.device import pick_device


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

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "auto") -> Predictor:
        return cls(load_checkpoint(path), device)

    @property
    def name(self) -> str:
        return Path(self.checkpoint.get("path", "model")).parent.name or "model"

    def prepare(self, image) -> np.ndarray:
        """A PIL image made into exactly what the network saw in training: uint8 (C, H, W)."""
        from nnzero.serving.digits import prepare_digit
        from nnzero.serving.images import prepare_photo, to_mode

        size, channels = self.spec["size"], self.spec["channels"]
        if self.spec["kind"] == "digits" and size == 28 and channels == 1:
            return prepare_digit(image)[None]  # (1, 28, 28)
        if self.spec.get("resize") == "squash":  # trained on images squashed to the square
            fitted = to_mode(image, channels).resize((size, size), resample=2)  # 2: bilinear, as decode.py
            return np.asarray(fitted, np.uint8).reshape(size, size, channels).transpose(2, 0, 1)  # (C, H, W)
        return prepare_photo(image, size, channels)  # (C, size, size)

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

    def predict(self, images, k: int = 3) -> list[list[dict]]:
        """Top-k labels with probabilities for each image (PIL images, paths or bytes)."""
        from nnzero.serving.images import open_image

        batch = np.stack([self.prepare(im if hasattr(im, "mode") else open_image(im)) for im in images])
        return [self.top(p, k) for p in self.probabilities(batch)]
