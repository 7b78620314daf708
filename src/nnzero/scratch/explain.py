"""Walk one image through a network, with the numbers: what ``--explain`` prints.

The weighted sum of one neuron and its activation, the logits, the softmax, the loss,
the gradient of one weight and the step the optimizer gives it, then every layer's
output shape and parameter count.
"""

from __future__ import annotations

import copy

import numpy as np

from nnzero.i18n import tr
from nnzero.scratch._base import Layer
from nnzero.scratch.activations import Activation
from nnzero.scratch.layers import Conv2d
from nnzero.scratch.losses import SoftmaxCrossEntropy
from nnzero.scratch.network import Sequential
from nnzero.scratch.optimizers import Optimizer


def _neuron_lines(
    layer: Layer, act: Layer | None, x_in: np.ndarray, z: np.ndarray
) -> tuple[list[str], tuple]:
    """The weighted sum of this image's most active unit of ``layer``; the lines, and where that unit is."""
    W = layer.params["W"]
    if isinstance(layer, Conv2d):
        c, y, x0 = (int(i) for i in np.unravel_index(int(np.argmax(z[0])), z.shape[1:]))
        unit = (c, y, x0)
        k, p, s = layer.kernel_size, layer.padding, layer.stride
        padded = np.pad(x_in[0], ((0, 0), (p, p), (p, p)))  # (C, H+2p, W+2p)
        window = padded[:, y * s : y * s + k, x0 * s : x0 * s + k]  # (C, k, k): what this unit sees
        terms, weights = window.ravel(), W[c].ravel()  # (C*k*k,)
        name = tr(
            "filter {c} at row {y}, column {x} (a {k}x{k} window)",
            "滤波器 {c}, 第 {y} 行第 {x} 列 ({k}x{k} 窗口)",
            c=c,
            y=y,
            x=x0,
            k=k,
        )
    else:
        j = int(np.argmax(z[0]))
        unit = (j,)
        terms, weights = x_in[0], W[:, j]  # (in,), (in,)
        name = tr("unit {j}", "神经元 {j}", j=j)
    b = layer.params["b"][unit[0]] if "b" in layer.params else 0.0  # a bias per unit, or per filter
    products = terms * weights  # (n,)
    top = np.argsort(-np.abs(products))[:3]
    biggest = ", ".join(f"{terms[i]:.3f}*{weights[i]:+.3f}" for i in top)
    lines = [
        tr(
            "{layer}, {name}, the most active for this image:",
            "{layer}, {name} (对这张图像最活跃):",
            layer=layer,
            name=name,
        ),
        tr(
            "  z = sum of {n} inputs x weights + bias; largest terms: {big} ...",
            "  z = {n} 个输入 x 权重之和 + 偏置; 最大的几项: {big} ...",
            n=products.size,
            big=biggest,
        ),
        f"    = {products.sum():.4f} + ({float(b):.4f}) = {float(z[(0, *unit)]):.4f}",
    ]
    if act is not None:
        value = float(act.forward(z)[(0, *unit)])
        lines.append(f"  {type(act).__name__}(z) = {value:.4f}")
    return lines, unit


def explain(
    net: Sequential,
    x: np.ndarray,
    label: int,
    opt: Optimizer,
    classes: list[str],
    index: int = 0,
    lr: float | None = None,
) -> list[str]:
    """Lines of text for one normalised image ``x`` (1, C, H, W) whose true class is ``label``.

    ``lr`` replaces the optimizer's learning rate for the update shown (a schedule may
    have brought it near 0 by the end of training).
    """
    ## Everything happens on a copy of the network and optimizer, so the real ones are untouched.
    net, opt = copy.deepcopy((net, opt))
    opt.lr = opt.lr if lr is None else lr
    net.eval()
    first = next(i for i, layer in enumerate(net.layers) if layer.params)
    layer = net.layers[first]
    nxt = net.layers[first + 1] if first + 1 < len(net.layers) else None
    x_in = x
    for before_first in net.layers[:first]:  # Flatten, usually: what the first weighted layer gets
        x_in = before_first.forward(x_in)
    z = layer.forward(x_in)
    lines = [
        tr(
            "== Test image #{i} (true class {c}) through the network ==",
            "== 测试图像 #{i} (真实类别 {c}) 通过网络 ==",
            i=index,
            c=classes[label],
        ),
        tr(
            "input: {n} numbers (pixels scaled to mean 0, std 1), from {lo:.2f} to {hi:.2f}",
            "输入: {n} 个数 (像素已标准化为均值 0, 标准差 1), 范围 {lo:.2f} 到 {hi:.2f}",
            n=x.size,
            lo=float(x.min()),
            hi=float(x.max()),
        ),
    ]
    neuron, unit = _neuron_lines(layer, nxt if isinstance(nxt, Activation) else None, x_in, z)
    lines += neuron
    loss_fn = SoftmaxCrossEntropy()
    net.zero_grad()
    logits = net.forward(x)  # (1, K)
    loss = loss_fn.forward(logits, np.array([label]))
    lines += _output_lines(logits[0], loss_fn.probs[0], loss, label, classes)
    net.backward(loss_fn.backward())
    lines += _update_lines(layer, first, unit, opt, loss_fn.probs[0], label, classes)
    lines += ["", tr("layers:", "各层:")]
    for name, shape, count in net.summary(x.shape[1:]):
        lines.append(f"  {name:<58} {str(shape):<16} {count:>9,}")
    lines.append(tr("parameters: {n:,}", "参数总数: {n:,}", n=net.num_parameters()))
    return lines


def _output_lines(
    logits: np.ndarray, probs: np.ndarray, loss: float, label: int, classes: list[str]
) -> list[str]:
    """The logits (K,), their softmax (K,), the prediction and the loss, with numbers."""
    pred = int(np.argmax(probs))
    return [
        tr("logits (one per class):", "logits (每个类别一个):"),
        "  " + "  ".join(f"{classes[k]}:{v:+.2f}" for k, v in enumerate(logits)),
        tr("softmax p_k = e^z_k / sum_j e^z_j:", "softmax p_k = e^z_k / sum_j e^z_j:"),
        "  " + "  ".join(f"{classes[k]}:{v:.4f}" for k, v in enumerate(probs)),
        tr(
            "prediction: {p} (p = {pp:.4f}); loss = -log p({c}) = -log({pc:.4f}) = {loss:.4f}",
            "预测: {p} (p = {pp:.4f}); 损失 = -log p({c}) = -log({pc:.4f}) = {loss:.4f}",
            p=classes[pred],
            pp=probs[pred],
            c=classes[label],
            pc=probs[label],
            loss=loss,
        ),
    ]


def _update_lines(layer, first: int, unit, opt: Optimizer, probs, label: int, classes) -> list[str]:
    """Backward's first factor, then one weight of the neuron shown: its gradient and its update."""
    grad = layer.grads["W"]
    ## Pick, among the weights of the neuron shown above, the one with the largest gradient.
    if isinstance(layer, Conv2d):
        sub = np.abs(grad[unit[0]])
        where = (unit[0], *np.unravel_index(int(np.argmax(sub)), sub.shape))
    else:
        where = (int(np.argmax(np.abs(grad[:, unit[0]]))), unit[0])
    before, g = float(layer.params["W"][where]), float(grad[where])
    opt.step()
    after = float(layer.params["W"][where])
    return [
        tr(
            "backward: dL/dz = p - onehot({c}); for class {c}: {pc:.4f} - 1 = {d:.4f}",
            "反向传播: dL/dz = p - onehot({c}); 对类别 {c}: {pc:.4f} - 1 = {d:.4f}",
            c=classes[label],
            pc=probs[label],
            d=probs[label] - 1,
        ),
        tr(
            "weight W{w} of layer {i}: gradient dL/dW = {g:.3e}",
            "第 {i} 层的权重 W{w}: 梯度 dL/dW = {g:.3e}",
            w=[int(i) for i in where],
            i=first,
            g=g,
        ),
        tr(
            "{opt} (lr {lr:g}) moves it from {a:.6f} to {b:.6f} (change {d:+.3e})",
            "{opt} (学习率 {lr:g}) 把它从 {a:.6f} 变为 {b:.6f} (变化 {d:+.3e})",
            opt=type(opt).__name__,
            lr=opt.lr,
            a=before,
            b=after,
            d=after - before,
        ),
    ]
