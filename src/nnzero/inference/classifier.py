"""What the PyTorch and the ONNX predictors share: the preparation, and the form of their answers.

    class Predictor(ImageClassifier): ...      # nnzero.load: the checkpoint's network (torch)
    class OnnxPredictor(ImageClassifier): ...  # an exported model.onnx (onnxruntime, no torch)

A subclass sets ``spec`` (the input spec) and ``classes``, and defines ``probabilities(batch)`` and
``answer(batch, top, unknown, imagenet)``; ``prepare``, ``prepare_files``, ``top`` and ``predict`` are
the same for both, so an export and its checkpoint answer in the same words. No torch here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnzero.inference.prepare import as_image, prepare_files, prepare_image

UNKNOWN = "unknown"  # the label of an answer that is none of the classes (不确定 on the page)


class Answer(list):
    """The top classes of one image (a list of {"label", "prob"}, as before), and whether it is none of them."""

    def __init__(self, top: list[dict], unknown: bool, label: str):
        super().__init__(top)
        self.unknown, self.label = unknown, label


class ImageClassifier:
    spec: dict
    classes: list[str]

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes) of prepared uint8 images (N, C, H, W)."""
        raise NotImplementedError

    def answer(self, batch: np.ndarray, top: int = 3, unknown: bool = True, imagenet: int = 0) -> list[dict]:
        """One answer per prepared image: {"label", "top"}, and "unknown", "score" when the model can tell."""
        raise NotImplementedError

    @property
    def is_sound(self) -> bool:
        """A sound model: its inputs are sound files, each made into one picture per window."""
        return self.spec.get("kind") == "sound"

    def prepare(self, image) -> np.ndarray:
        """A PIL image made into exactly what the network saw in training: uint8 (C, H, W)."""
        return prepare_image(image, self.spec)

    def prepare_files(self, names) -> tuple[dict, dict]:
        """({name: prepared uint8 (C, H, W)}, {name: why it could not be read}), in the order given."""
        return prepare_files(self.prepare, names)

    def answer_files(self, prepared: dict, top: int = 3, unknown: bool = True, imagenet: int = 0) -> dict:
        """{name: answer} for ``prepare_files``' pictures, in ``answer``'s form."""
        if not prepared:
            return {}
        return dict(zip(prepared, self.answer(np.stack(list(prepared.values())), top, unknown, imagenet)))

    def top(self, probs: np.ndarray, k: int = 3) -> list[dict]:
        """The ``k`` most probable classes of one image's probabilities, most probable first."""
        order = np.argsort(-probs)[:k]
        return [{"label": self.classes[i], "prob": round(float(probs[i]), 6)} for i in order]

    def answers(self, probs: np.ndarray, top: int, scores=None, threshold: float | None = None) -> list[dict]:
        """The answers for probabilities (N, classes) and, when the model can tell, unknown scores (N,):
        a picture scoring below ``threshold`` is "unknown" (its top classes are still given)."""
        answers = [{"label": self.classes[int(p.argmax())], "top": self.top(p, top)} for p in probs]
        if scores is not None:
            for a, score in zip(answers, scores):
                a["unknown"] = bool(score < threshold)
                a["score"] = round(float(score), 4)
                a["label"] = UNKNOWN if a["unknown"] else a["label"]
        return answers

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
