"""The course's case 1, by hand: a 3-4-1 sigmoid network learns a 4-row truth table.

from nnzero.scratch.toy import train_toy
train_toy("or")      # error after 0 iterations: 0.4977 ... all four rows right
train_toy("xor", 0)  # without a hidden layer XOR cannot be learnt
"""

from __future__ import annotations

import numpy as np

from nnzero.i18n import tr
from nnzero.scratch.losses import SquaredError
from nnzero.scratch.optimizers import SGD
from nnzero.scratch.zoo import toy

## The course's truth table: the third input is always 1 (it plays the bias).
TOY_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], np.float64)  # (4, 3)
TOY_Y = {"or": np.array([[0], [1], [1], [1]], np.float64), "xor": np.array([[0], [1], [1], [0]], np.float64)}


def train_toy(task: str = "or", hidden: int = 4, iterations: int = 100_000, seed: int = 1, say=print) -> dict:
    """The course's case 1: full-batch gradient descent on the truth table ``task`` ("or", "xor").

    Prints the mean error every 10,000 iterations and the learnt weights (as the course's program
    does); returns the predictions, the errors and whether all four rows are right.
    """
    y = TOY_Y[task]  # (4, 1)
    net, loss_fn = toy(hidden, seed=seed), SquaredError()
    ## The course adds the summed error's gradient with step 1; our loss is a mean over
    ## the 4 rows, so the same steps need lr = 4.
    opt = SGD(net.parameters(), lr=float(len(TOY_X)))
    errors = []
    for i in range(iterations):
        out = net.forward(TOY_X)  # (4, 1)
        loss_fn.forward(out, y)
        if i % 10_000 == 0:
            errors.append(float(np.mean(np.abs(y - out))))
            say(
                tr("error after {i} iterations: {e:.6f}", "第 {i} 次迭代后的误差: {e:.6f}", i=i, e=errors[-1])
            )
        opt.zero_grad()
        net.backward(loss_fn.backward())
        opt.step()
    pred = net.forward(TOY_X)[:, 0]  # (4,)
    for i, layer in enumerate(net.layers):
        if layer.params:
            say(
                tr(
                    "weights of layer {i} {shape}:",
                    "第 {i} 层的权重 {shape}:",
                    i=i,
                    shape=layer.params["W"].shape,
                ),
            )
            say(np.array2string(layer.params["W"], precision=3, suppress_small=True))
    return {
        "hidden": hidden,
        "predictions": [round(float(v), 4) for v in pred],
        "errors": errors,
        "correct": bool(((pred > 0.5) == (y[:, 0] == 1)).all()),
    }
