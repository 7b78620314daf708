"""``Predictor``: a checkpoint turned into a function from pictures to class probabilities.

    predictor = nnzero.load("runs/NAME/best.pt")
    predictor.predict(["seven.jpg", pil_image, uint8_array], top=3)
    predictor.answer(prepared_batch, top=3)    # [{"label": "7" or "unknown", "unknown": False, "top": [...]}]

Model and preprocessing are rebuilt from the checkpoint alone (its model name, sizes,
classes and input spec), so a file trained anywhere predicts anywhere. Thread-safe:
one lock around the forward pass, so a web server may share one Predictor. The preparation and
the form of the answers are ``ImageClassifier``'s, shared with an export's ``OnnxPredictor``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import torch

from nnzero.inference.classifier import UNKNOWN, Answer, ImageClassifier
from nnzero.inference.prepare import as_image, image_from_array
from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint
from nnzero.training.device import pick_device
from nnzero.unknown import Unknown, features_and_logits

__all__ = ["UNKNOWN", "Answer", "Predictor", "as_image", "image_from_array", "load"]


class Predictor(ImageClassifier):
    """PyTorch: the checkpoint's network on the best device (``prepare``, ``predict``: ImageClassifier).
    ``tta``: "shifts" or "none" instead of the test-time augmentation the checkpoint keeps (None)."""

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
        ## what says "none of my classes" (``nnzero.unknown``); None for checkpoints without it
        self.unknown: Unknown | None = Unknown.from_dict(ckpt.get("unknown"))
        self._imagenet = None  # the backbone's ImageNet classifier, read when first asked for

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "auto", tta: str | None = None) -> Predictor:
        return cls(load_checkpoint(path), device, tta)

    @property
    def name(self) -> str:
        return Path(self.checkpoint.get("path", "model")).parent.name or "model"

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

    def features(self, batch: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """(features (N, D) the last linear layer receives, logits (N, classes)) of prepared images."""
        x = self._input(batch)
        with self._lock, torch.no_grad():
            return features_and_logits(self.model, x)

    def answer(self, batch: np.ndarray, top: int = 3, unknown: bool = True, imagenet: int = 0) -> list[dict]:
        """One answer per prepared uint8 image (N, C, H, W): what the CLI, the API and the page show.

        ``{"label": the top class, or "unknown" below the threshold, "top": [{"label", "prob"}, ...]}``
        plus, when the checkpoint can tell (and ``unknown``), ``"unknown": bool`` and ``"score"``
        (the similarity to the k-th nearest known picture; ``threshold`` in ``self.unknown``), and,
        with ``imagenet`` > 0, the backbone's own top ImageNet classes."""
        feats, logits = self.features(batch)  # (N, D), (N, classes)
        probs = torch.softmax(logits, 1).cpu().numpy()
        telling = unknown and self.unknown is not None
        scores = self.unknown.scores(feats.cpu()) if telling else None
        answers = self.answers(probs, top, scores, self.unknown.threshold if telling else None)
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


def load(checkpoint: str | Path, *, device: str = "auto", tta: str | None = None) -> Predictor:
    """``nnzero.load``: a checkpoint (``best.pt``) ready to predict; the model and its preprocessing
    are rebuilt from the file alone (``tta="shifts"``/``"none"``: other test-time augmentation)."""
    return Predictor.from_checkpoint(checkpoint, device, tta)
