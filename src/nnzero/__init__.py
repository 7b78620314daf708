"""nnzero: neural networks from zero (从零开始).

Image classification end to end: a NumPy engine written by hand (``nnzero.scratch``),
MNIST and photo classifiers in PyTorch, evaluation, and serving. The front door::

    import nnzero
    run = nnzero.train("mnist", model="mlp128", epochs=5)   # -> nnzero.Run, writes runs/<name>/
    print(run.test_accuracy, run.dir)
    report = nnzero.evaluate(run.checkpoint)                 # accuracy, per class, confusion, mistakes
    predictor = nnzero.load(run.checkpoint)
    predictor.predict(["my_digit.jpg"], top=3)               # [[{"label": "7", "prob": 0.98}, ...]]
    nnzero.scratch.fit("mlp", epochs=2)                      # the NumPy engine, same Run and run folder

The names below load on first use (PEP 562), so ``import nnzero`` and the command line's
start-up stay fast: torch is imported only when something needs it.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

## name -> the module that defines it (lower layers first; see DESIGN.md)
_API = {
    "Run": "nnzero.run",
    "Callback": "nnzero.callbacks",
    "EarlyStopping": "nnzero.callbacks",
    "resolve_settings": "nnzero.training.settings",
    "Predictor": "nnzero.inference",
    "load": "nnzero.inference",
    "train": "nnzero.evaluation.api",
    "evaluate": "nnzero.evaluation.api",
    "default_callbacks": "nnzero.evaluation.api",
}
__all__ = ["__version__", *_API, "scratch"]


def __getattr__(name: str):
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name == "scratch":
        return importlib.import_module("nnzero.scratch")
    raise AttributeError(f"module 'nnzero' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
