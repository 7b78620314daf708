"""nnzero: neural networks from zero (从零开始).

Image classification end to end: a NumPy engine written by hand (``nnzero.scratch``),
MNIST and photo classifiers in PyTorch, evaluation, and serving.
"""

__version__ = "0.1.0"
