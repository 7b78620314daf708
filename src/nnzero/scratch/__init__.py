"""nnzero.scratch: a neural-network engine written by hand, in NumPy only.

    from nnzero.scratch import Sequential, Linear, ReLU, SoftmaxCrossEntropy, Adam
    net = Sequential(Flatten(), Linear(784, 128), ReLU(), Linear(128, 10))
    loss_fn, opt = SoftmaxCrossEntropy(), Adam(net.parameters(), lr=1e-3)
    loss = loss_fn(net(x), y)          # forward
    opt.zero_grad()
    net.backward(loss_fn.backward())   # backward: every layer adds into its grads
    opt.step()                         # update

It never imports torch: PyTorch appears only in the tests, as the oracle the engine
is checked against, and in ``nnzero scratch export``.
"""

from nnzero.scratch._base import Layer, ShapeError
from nnzero.scratch.activations import Activation, LeakyReLU, ReLU, Sigmoid, Tanh, sigmoid
from nnzero.scratch.explain import explain
from nnzero.scratch.fitting import fit
from nnzero.scratch.gradcheck import check_layer, check_network, numerical_gradient, relative_error
from nnzero.scratch.init import he_normal, initial_weights, xavier_uniform
from nnzero.scratch.layers import Conv2d, Dropout, Flatten, Linear, MaxPool2d
from nnzero.scratch.losses import BinaryCrossEntropy, Loss, SoftmaxCrossEntropy, SquaredError
from nnzero.scratch.network import LAYER_TYPES, Sequential
from nnzero.scratch.optimizers import OPTIMIZERS, SGD, Adam, Momentum, Optimizer, RMSprop
from nnzero.scratch.trainer import TrainingDiverged, evaluate, lr_at, normalise, train_epoch
from nnzero.scratch.zoo import MODELS, TRAIN_DEFAULTS, build, toy

__all__ = [
    "fit",
    "LAYER_TYPES",
    "MODELS",
    "OPTIMIZERS",
    "SGD",
    "TRAIN_DEFAULTS",
    "Activation",
    "Adam",
    "BinaryCrossEntropy",
    "Conv2d",
    "Dropout",
    "Flatten",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Loss",
    "MaxPool2d",
    "Momentum",
    "Optimizer",
    "RMSprop",
    "ReLU",
    "Sequential",
    "ShapeError",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "SquaredError",
    "Tanh",
    "TrainingDiverged",
    "build",
    "check_layer",
    "check_network",
    "evaluate",
    "explain",
    "he_normal",
    "initial_weights",
    "lr_at",
    "normalise",
    "numerical_gradient",
    "relative_error",
    "sigmoid",
    "toy",
    "train_epoch",
    "xavier_uniform",
]
