"""The networks the course builds by hand: the toy, softmax regression, an MLP and LeNet-5.

``softmax``, ``mlp`` (784-128-10) and ``lenet`` have exactly the layers of the
registered PyTorch models ``softmax``, ``mlp128`` and ``lenet5``, in the same order,
so ``nnzero scratch export`` can hand their weights to PyTorch one for one.
"""

from __future__ import annotations

import numpy as np

from nnzero.scratch.activations import ReLU, Sigmoid
from nnzero.scratch.layers import Conv2d, Flatten, Linear, MaxPool2d
from nnzero.scratch.network import Sequential

MODELS = ("softmax", "mlp", "lenet")

## Settings that reach the targets of docs/scratch.md on MNIST; any can be overridden
## on the command line. lenet: 6 epochs of 128 images a step at 5e-3 reach 99.00% and 99.11% test
## accuracy (seeds 0, 1) in ~53 s, as 8 epochs at 4e-3 reached 99.02-99.06% in 73 s and 10 epochs of
## 64 at 2e-3 99.07%; 256 a step lost accuracy (98.92% in 8 epochs; docs/mnist-speed.md).
_ADAM = {"optimizer": "adam", "weight_decay": 0.0}
TRAIN_DEFAULTS = {
    "softmax": {**_ADAM, "epochs": 5, "batch_size": 128, "lr": 1e-3, "schedule": "constant"},
    "mlp": {**_ADAM, "epochs": 10, "batch_size": 64, "lr": 2e-3, "schedule": "cosine"},
    "lenet": {**_ADAM, "epochs": 6, "batch_size": 128, "lr": 5e-3, "schedule": "cosine"},
}


## FSDD's 2,250 training pictures are 27 times fewer than MNIST's: more passes over them, smaller steps
SOUND_DEFAULTS = {
    "softmax": {"epochs": 30, "batch_size": 64},
    "mlp": {"epochs": 30, "batch_size": 64},
    "lenet": {"epochs": 30, "batch_size": 64, "lr": 2e-3, "schedule": "cosine"},
}


def toy(hidden: int = 4, dtype=np.float64, seed: int = 1) -> Sequential:
    """The course's case 1: 3 inputs, ``hidden`` sigmoid units (0: none), 1 sigmoid output, no biases.

    ## No bias is needed: the third input is always 1, so its weights act as biases.
    ## The starting weights are drawn as the course draws them: uniform in [-1, 1).
    """
    rng = np.random.default_rng(seed)
    sizes = [3, hidden, 1] if hidden else [3, 1]
    net_layers = []
    for a, b in zip(sizes, sizes[1:], strict=False):
        linear = Linear(a, b, bias=False, dtype=dtype)
        linear.params["W"][...] = 2 * rng.random((a, b)) - 1  # (a, b)
        net_layers += [linear, Sigmoid()]
    return Sequential(*net_layers)


def build(
    name: str,
    dtype=np.float32,
    seed: int = 0,
    hidden: tuple[int, ...] = (128,),
    classes: int = 10,
    image_size: int = 28,
) -> Sequential:
    """A fresh network for (N, 1, image_size, image_size) images, weights seeded by ``seed``."""
    rng = np.random.default_rng(seed)
    pixels = image_size * image_size
    if name == "softmax":
        ## One weight per pixel per digit: the logit of digit k is a weighted sum of pixels.
        ## Starting from zeros, every weight in the pictures is something it learned.
        return Sequential(Flatten(), Linear(pixels, classes, init="zeros", dtype=dtype, rng=rng))
    if name == "mlp":
        sizes = [pixels, *hidden, classes]
        net_layers = [Flatten()]
        for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
            net_layers.append(Linear(a, b, dtype=dtype, rng=rng))
            if i < len(sizes) - 2:
                net_layers.append(ReLU())
        return Sequential(*net_layers)
    if name == "lenet":
        side = ((image_size // 2) - 4) // 2  # 28 -> conv(pad 2) 28 -> pool 14 -> conv 10 -> pool 5
        return Sequential(
            Conv2d(1, 6, 5, padding=2, dtype=dtype, rng=rng),
            ReLU(),
            MaxPool2d(2),  # (N, 6, 14, 14)
            Conv2d(6, 16, 5, dtype=dtype, rng=rng),
            ReLU(),
            MaxPool2d(2),  # (N, 16, 5, 5)
            Flatten(),  # (N, 400)
            Linear(16 * side * side, 120, dtype=dtype, rng=rng),
            ReLU(),
            Linear(120, 84, dtype=dtype, rng=rng),
            ReLU(),
            Linear(84, classes, init="xavier", dtype=dtype, rng=rng),
        )
    raise ValueError(f"unknown scratch model {name!r}; choose from {', '.join(MODELS)}")
