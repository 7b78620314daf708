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

from nnzero.inference.prepare import ImageClassifier
from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint
from nnzero.training.device import pick_device


class Predictor(ImageClassifier):
    """PyTorch: the checkpoint's network on the best device (``prepare``, ``predict``: ImageClassifier)."""

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

    @torch.no_grad()
    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes) of prepared uint8 images (N, C, H, W)."""
        x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device).float().div_(255)  # (N, C, H, W)
        x = (x - self._mean) / self._std
        with self._lock:
            logits = self.model(x)  # (N, classes)
        return torch.softmax(logits.float(), 1).cpu().numpy()


def load(checkpoint: str | Path, *, device: str = "auto") -> Predictor:
    """``nnzero.load``: a checkpoint (``best.pt``) ready to predict; the model and its preprocessing
    are rebuilt from the file alone."""
    return Predictor.from_checkpoint(checkpoint, device)
