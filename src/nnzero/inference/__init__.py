"""Inference: a trained checkpoint turned into predictions for a user's own images.

    import nnzero
    predictor = nnzero.load("runs/NAME/best.pt")
    predictor.predict(["my_digit.jpg"], top=3)   # [[{"label": "7", "prob": 0.98}, ...]]

The same preparation serves ``nnzero predict``, the web app and the library.
"""

from nnzero.inference.predictor import Predictor, load

__all__ = ["Predictor", "load"]
