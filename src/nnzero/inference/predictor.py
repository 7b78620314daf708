"""``Predictor``: a checkpoint turned into a function from pictures to class probabilities.

    predictor = nnzero.load("runs/NAME/best.pt")
    predictor.predict(["seven.jpg", pil_image, uint8_array], top=3)
    predictor.answer(prepared_batch, top=3)    # [{"label": "7" or "unknown", "unknown": False, "top": [...]}]
    predictor.predict(["seven.wav", (samples, 8000)])  # a sound model: files or (samples, rate)

Model and preprocessing are rebuilt from the checkpoint alone (its model name, sizes,
classes and input spec), so a file trained anywhere predicts anywhere. Thread-safe:
one lock around the forward pass, so a web server may share one Predictor. The preparation and
the form of the answers are ``ImageClassifier``'s, shared with an export's ``OnnxPredictor``. A sound
model (``is_sound``) hears each clip as one picture per window and averages the windows' probabilities;
it does not say "unknown" (its bank of known pictures is not built: ``training/known.py``).

``precision``: fp32, bf16 (bfloat16 autocast; probabilities still float32) or auto, the default:
bf16 for a photo model on a device with bfloat16 hardware (``training/device.py``), fp32 otherwise
(a digit model is too small for bfloat16 to pay).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import torch

from nnzero.inference.classifier import UNKNOWN, Answer, ImageClassifier
from nnzero.inference.prepare import as_image, image_from_array
from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint
from nnzero.training.device import autocast, pick_device, resolve_precision
from nnzero.unknown import Unknown, features_and_logits

__all__ = ["UNKNOWN", "Answer", "Predictor", "as_image", "image_from_array", "load"]

BATCH_PATH_AT_LEAST = 64  # photos from which view_probabilities runs the backbone as feature extraction does


class Predictor(ImageClassifier):
    """PyTorch: the checkpoint's network on the best device (``prepare``, ``predict``: ImageClassifier).
    ``tta``: "shifts" or "none" instead of the test-time augmentation the checkpoint keeps (None)."""

    def __init__(
        self, ckpt: dict, device: str = "auto", precision: str = "auto", say=None, tta: str | None = None
    ):
        from nnzero.models.committee import tta_spec

        self.checkpoint = ckpt = ckpt if tta is None else {**ckpt, "tta": tta_spec(tta)}
        self.device = pick_device(device)
        self.model = model_from_checkpoint(ckpt, self.device)
        self.classes: list[str] = list(ckpt["classes"])
        self.spec: dict = dict(ckpt["input_spec"])
        if precision == "auto" and self.spec.get("kind") != "photos":
            precision = "fp32"
        self.precision = resolve_precision(precision, self.device, say)
        shape = (1, self.spec["channels"], 1, 1)
        self._mean = torch.tensor(self.spec["mean"], dtype=torch.float32, device=self.device).view(shape)
        self._std = torch.tensor(self.spec["std"], dtype=torch.float32, device=self.device).view(shape)
        self._lock = threading.Lock()
        ## what says "none of my classes" (``nnzero.unknown``); None for checkpoints without it
        self.unknown: Unknown | None = None if self.is_sound else Unknown.from_dict(ckpt.get("unknown"))
        self._imagenet = None  # the backbone's ImageNet classifier, read when first asked for

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, device: str = "auto", precision: str = "auto", say=None, tta=None
    ) -> Predictor:
        return cls(load_checkpoint(path), device, precision, say, tta)

    @property
    def name(self) -> str:
        return Path(self.checkpoint.get("path", "model")).parent.name or "model"

    def prepare_files(self, names) -> tuple[dict, dict]:
        """({name: prepared uint8 (C, H, W), a sound's (W, 1, S, S)}, {name: why it could not be read})."""
        if not self.is_sound:
            return super().prepare_files(names)
        from nnzero.errors import NnzeroError

        prepared, errors = {}, {}
        for name in names:
            try:
                prepared[name] = self.prepare_sound(name)  # (W, 1, S, S): a picture for each window
            except (NnzeroError, OSError) as e:
                message = str(e)
                errors[name] = message if message.startswith(str(name)) else f"{name}: {message}"
        return prepared, errors

    def prepare_sound(self, source, **limits) -> np.ndarray:
        """A sound file (a path or its bytes), or ``(samples, rate)`` (a float array and its rate in Hz, as
        a notebook holds a recording), as the pictures the network hears: uint8 (W, 1, S, S).

        ``limits``: ``name``, ``max_bytes``, ``max_seconds`` (see ``datasets.audio.read_audio``)."""
        from nnzero.datasets.sound_pictures import clip_pictures, sound_file_pictures

        if isinstance(source, tuple):
            samples, rate = source
            return clip_pictures(np.asarray(samples, np.float32).reshape(-1), int(rate), self.spec["audio"])
        return sound_file_pictures(source, self.spec["audio"], **limits)

    def answer_files(self, prepared: dict, top: int = 3, unknown: bool = True, imagenet: int = 0) -> dict:
        """{name: answer} for ``prepare_files``' pictures (``answer``'s form); a sound's windows averaged."""
        if not self.is_sound:
            return super().answer_files(prepared, top, unknown, imagenet)
        ## a long clip is judged on all of its windows: the mean of their probabilities
        return {name: self.answer_clip(windows, top) for name, windows in prepared.items()}

    def answer_clip(self, windows: np.ndarray, top: int = 3) -> dict:
        """The answer for one clip's pictures (W, 1, S, S): the mean of its windows' probabilities."""
        return self.answers(self.probabilities(windows).mean(axis=0, keepdims=True), top)[0]

    def predict(self, images, top: int = 3, unknown: bool = True) -> list[Answer]:
        """``ImageClassifier.predict``; a sound model takes sound files (paths or bytes) or ``(samples,
        rate)`` tuples, and each clip's windows are averaged."""
        if not self.is_sound:
            return super().predict(images, top, unknown)
        if isinstance(images, (str, Path, bytes, tuple)):
            images = [images]
        answers = [self.answer_clip(self.prepare_sound(s), top) for s in images]
        return [Answer(a["top"], False, a["label"]) for a in answers]

    def _input(self, batch: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device).float().div_(255)  # (N, C, H, W)
        return (x - self._mean) / self._std

    @torch.no_grad()
    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes) of prepared uint8 images (N, C, H, W)."""
        x = self._input(batch)
        with self._lock, autocast(self.precision, self.device):
            logits = self.model(x)  # (N, classes)
        return torch.softmax(logits.float(), 1).cpu().numpy()

    def view_probabilities(
        self, images: np.ndarray, views=("photo",), batch: int = 64
    ) -> dict[str, np.ndarray]:
        """Class probabilities (N, classes) of many prepared uint8 photos (N, C, H, W) for each view
        ("photo"; "mirror": left and right swapped), as ``submit`` needs them.

        ## A backbone with one linear head (the transfer models) on a CPU runs as feature extraction
        ## does (``training/transfer/features.py``: a process per core and onnxruntime where installed, about 4x
        ## PyTorch's photos/s for EfficientNet-Lite2), then the head; anything else, or a handful of
        ## photos (exporting the backbone costs a second or two), batch after batch through ``probabilities``.
        """
        if len(images) >= BATCH_PATH_AT_LEAST and self._has_head() and self.device.type == "cpu":
            from nnzero.training.transfer.features import embed_batches

            feats = embed_batches(
                self.model, images, self.spec["mean"], self.spec["std"], views, precision=self.precision
            )
            head = self.model.head()
            with torch.no_grad():
                return {v: torch.softmax(head(torch.from_numpy(f)), 1).numpy() for v, f in feats.items()}
        out: dict[str, list[np.ndarray]] = {v: [] for v in views}
        for start in range(0, len(images), batch):
            x = np.asarray(images[start : start + batch])  # (B, C, H, W)
            for v in views:
                out[v].append(self.probabilities(x[..., ::-1] if v == "mirror" else x))
        empty = np.zeros((0, len(self.classes)), np.float32)
        return {v: np.concatenate(rows) if rows else empty for v, rows in out.items()}

    def _has_head(self) -> bool:
        """The model is ``head()(embed(x))`` in evaluation (a transfer backbone and its classifier)."""
        from nnzero.models.backbone import Freezable

        return isinstance(self.model, Freezable) and callable(getattr(self.model, "embed", None))

    def features(self, batch: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """(features (N, D) the last linear layer receives, logits (N, classes)) of prepared images."""
        x = self._input(batch)
        with self._lock, torch.no_grad(), autocast(self.precision, self.device):
            feats, logits = features_and_logits(self.model, x)
        return feats.float(), logits.float()  # bf16 under autocast: the unknown bank is float32

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


def load(
    checkpoint: str | Path, *, device: str = "auto", precision: str = "auto", say=None, tta: str | None = None
) -> Predictor:
    """``nnzero.load``: a checkpoint (``best.pt``) ready to predict; the model and its preprocessing
    are rebuilt from the file alone. ``precision``: see the module's docstring; ``tta="shifts"``/
    ``"none"``: another test-time augmentation than the checkpoint keeps."""
    return Predictor.from_checkpoint(checkpoint, device, precision, say, tta)
