"""Inference: a trained checkpoint turned into predictions for a user's own images.

    import nnzero
    predictor = nnzero.load("runs/NAME/best.pt")
    predictor.predict(["my_digit.jpg"], top=3)   # [[{"label": "7", "prob": 0.98}, ...]]
    from nnzero.inference.onnx_predictor import OnnxPredictor   # an exported model.onnx, no torch

The same preparation (``inference/prepare.py``) serves ``nnzero predict``, the web app, the library
and exported models. The names load on first use (PEP 562): ``nnzero predict model.onnx`` must run
where torch is not installed, so importing this package does not import torch.
"""

from __future__ import annotations

import importlib

_API = {"Predictor": "nnzero.inference.predictor", "load": "nnzero.inference.predictor"}
__all__ = list(_API)


def __getattr__(name: str):
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nnzero.inference' has no attribute {name!r}")
