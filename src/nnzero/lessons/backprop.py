"""Backpropagation in a 2-2-1 network, every number printed, checked by finite differences.

    nnzero lesson backprop

x (2) -> z1 = W1 x + b1 -> h = σ(z1) (2) -> z2 = W2 h + b2 -> o = σ(z2) (1) -> L = ½(o - y)²
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnzero.figures import plt
from nnzero.i18n import tr
from nnzero.lessons._figure import labeler
from nnzero.lessons.activations import sigmoid

X = (1.0, 0.5)
Y = 1.0
PARAMS = {
    "W1": ((0.1, -0.2), (0.4, 0.3)),  # (2 hidden, 2 inputs)
    "b1": (0.1, -0.1),
    "W2": ((0.5, -0.6),),  # (1 output, 2 hidden)
    "b2": (0.2,),
}
LR = 0.5
EPS = 1e-5  # finite-difference step


def forward(params: dict[str, np.ndarray], x: np.ndarray, y: float) -> dict[str, np.ndarray]:
    """Every intermediate value of the forward pass, by name."""
    z1 = params["W1"] @ x + params["b1"]  # (2,)
    h = sigmoid(z1)  # (2,)
    z2 = params["W2"] @ h + params["b2"]  # (1,)
    o = sigmoid(z2)  # (1,)
    loss = 0.5 * float(((o - y) ** 2).sum())
    return {"x": x, "z1": z1, "h": h, "z2": z2, "o": o, "loss": np.array(loss)}


def backward(params: dict[str, np.ndarray], f: dict[str, np.ndarray], y: float) -> dict[str, np.ndarray]:
    """Every gradient dL/d(...), from the loss back to the first layer: the chain rule, one step at a time."""
    do = f["o"] - y  # (1,) dL/do for L = ½(o - y)²
    dz2 = do * f["o"] * (1 - f["o"])  # (1,) σ'(z2) = o(1 - o)
    dW2 = np.outer(dz2, f["h"])  # (1, 2) z2 = W2 h + b2, so dz2/dW2 = h
    db2 = dz2  # (1,)
    dh = params["W2"].T @ dz2  # (2,) ...and dz2/dh = W2: the error flows back along the weights
    dz1 = dh * f["h"] * (1 - f["h"])  # (2,)
    dW1 = np.outer(dz1, f["x"])  # (2, 2)
    db1 = dz1  # (2,)
    return {"do": do, "dz2": dz2, "dW2": dW2, "db2": db2, "dh": dh, "dz1": dz1, "dW1": dW1, "db1": db1}


def numeric_grads(params: dict[str, np.ndarray], x: np.ndarray, y: float, eps: float = EPS):
    """dL/dθ for every parameter by central differences: (L(θ+ε) - L(θ-ε)) / 2ε, no calculus needed."""
    grads = {}
    for name, p in params.items():
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = float(forward(params, x, y)["loss"])
            p[idx] = old - eps
            down = float(forward(params, x, y)["loss"])
            p[idx] = old
            g[idx] = (up - down) / (2 * eps)
        grads["d" + name] = g
    return grads


@dataclass
class BackpropResult:
    params: dict[str, np.ndarray]
    y: float
    forward: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    numeric: dict[str, np.ndarray]
    max_rel_error: float
    loss_after_step: float  # after one gradient-descent step with LR


def compute(x=X, y: float = Y, params=None) -> BackpropResult:
    params = {k: np.array(v, dtype=np.float64) for k, v in (params or PARAMS).items()}
    x = np.asarray(x, dtype=np.float64)  # (2,)
    f = forward(params, x, y)
    grads = backward(params, f, y)
    numeric = numeric_grads(params, x, y)
    rel = max(
        float(
            np.max(np.abs(grads[k] - numeric[k]) / np.maximum(1e-12, np.abs(grads[k]) + np.abs(numeric[k])))
        )
        for k in numeric
    )
    stepped = {k: v - LR * grads["d" + k] for k, v in params.items()}
    return BackpropResult(params, float(y), f, grads, numeric, rel, float(forward(stepped, x, y)["loss"]))


def _v(a, digits: int = 6) -> str:
    """An array on one line, with a fixed number of decimals."""
    text = np.array2string(np.asarray(a), precision=digits, floatmode="fixed", max_line_width=10_000)
    return text.replace("\n", "")


def explain(r: BackpropResult) -> list[str]:
    f, g, p = r.forward, r.grads, r.params
    lines = [tr("Parameters:", "参数:")] + [f"  {k} = {_v(v, 2)}" for k, v in p.items()]
    lines += [
        tr(
            "Forward pass (input x = {x}, target y = {y:g}):",
            "前向传播 (输入 x = {x}, 目标 y = {y:g}):",
            x=_v(f["x"], 2),
            y=r.y,
        ),
        f"  z1 = W1·x + b1        = {_v(f['z1'])}",
        f"  h  = σ(z1)            = {_v(f['h'])}",
        f"  z2 = W2·h + b2        = {_v(f['z2'])}",
        f"  o  = σ(z2)            = {_v(f['o'])}",
        f"  L  = ½(o - y)²        = {float(f['loss']):.6f}",
        tr(
            "Backward pass (chain rule, from the loss back; * elementwise, · matrix product):",
            "反向传播 (链式法则, 从损失往回; * 逐元素相乘, · 矩阵乘法):",
        ),
        f"  dL/do  = o - y                = {_v(g['do'])}",
        f"  dL/dz2 = dL/do * o(1-o)       = {_v(g['dz2'])}",
        f"  dL/dW2 = dL/dz2 · hᵀ          = {_v(g['dW2'])}",
        f"  dL/db2 = dL/dz2               = {_v(g['db2'])}",
        f"  dL/dh  = W2ᵀ · dL/dz2         = {_v(g['dh'])}",
        f"  dL/dz1 = dL/dh * h(1-h)       = {_v(g['dz1'])}",
        f"  dL/dW1 = dL/dz1 · xᵀ          = {_v(g['dW1'])}",
        f"  dL/db1 = dL/dz1               = {_v(g['db1'])}",
        tr(
            "Finite differences (L(θ+ε) - L(θ-ε)) / 2ε with ε = {e:g}:",
            "有限差分 (L(θ+ε) - L(θ-ε)) / 2ε, ε = {e:g}:",
            e=EPS,
        ),
    ]
    for k, v in r.numeric.items():
        lines.append(f"  {k:<4} {tr('backprop', '反向传播')} {_v(g[k], 10)}")
        lines.append(f"       {tr('numeric ', '数值    ')} {_v(v, 10)}")
    lines += [
        tr(
            "Largest relative difference: {e:.2e} (they agree).",
            "最大相对误差: {e:.2e} (两者一致)。",
            e=r.max_rel_error,
        ),
        tr(
            "One step θ ← θ - {lr}·dL/dθ: loss {a:.6f} -> {b:.6f}.",
            "走一步 θ ← θ - {lr}·dL/dθ: 损失 {a:.6f} -> {b:.6f}。",
            lr=LR,
            a=float(f["loss"]),
            b=r.loss_after_step,
        ),
    ]
    return lines


def key_numbers(r: BackpropResult) -> dict:
    return {
        "forward": {k: np.round(v, 8).tolist() for k, v in r.forward.items()},
        "grads": {k: np.round(v, 8).tolist() for k, v in r.grads.items()},
        "numeric": {k: np.round(v, 8).tolist() for k, v in r.numeric.items()},
        "max_rel_error": r.max_rel_error,
        "loss_after_step": r.loss_after_step,
    }


def figure(r: BackpropResult, zh: bool):
    """The network as a graph: forward values in black above each node, gradients in red below."""
    t = labeler(zh)
    f, g, p = r.forward, r.grads, r.params
    fig, ax = plt.subplots(figsize=(12, 7))
    ax.set_xlim(-0.4, 3.9)
    ax.set_ylim(-0.9, 2.1)
    ax.set_aspect("equal")
    ax.axis("off")
    nodes = {"x0": (0, 1.5), "x1": (0, 0), "h0": (1.4, 1.5), "h1": (1.4, 0), "o": (2.8, 0.75)}
    for i, j in np.ndindex(2, 2):  # W1[j, i] joins x_i to h_j
        (x0, y0), (x1, y1) = nodes[f"x{i}"], nodes[f"h{j}"]
        ax.plot([x0, x1], [y0, y1], color="gray", zorder=1)
        fx = 0.45 if i == j else 0.75  # crossing edges: label near the hidden node, away from the crossing
        mx, my = x0 + (x1 - x0) * fx, y0 + (y1 - y0) * fx
        ax.text(mx, my + 0.07, f"W1[{j},{i}]={p['W1'][j, i]:.2f}", fontsize=8, ha="center")
        ax.text(mx, my - 0.09, f"∂={g['dW1'][j, i]:+.4f}", fontsize=8, ha="center", color="tab:red")
    for j in range(2):
        (x0, y0), (x1, y1) = nodes[f"h{j}"], nodes["o"]
        ax.plot([x0, x1], [y0, y1], color="gray", zorder=1)
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        ax.text(mx, my + 0.07, f"W2[0,{j}]={p['W2'][0, j]:.2f}", fontsize=8, ha="center")
        ax.text(mx, my - 0.09, f"∂={g['dW2'][0, j]:+.4f}", fontsize=8, ha="center", color="tab:red")
    texts = {
        "x0": (f"x0={f['x'][0]:.2f}", ""),
        "x1": (f"x1={f['x'][1]:.2f}", ""),
        **{
            f"h{j}": (
                f"z1={f['z1'][j]:.4f}\nh={f['h'][j]:.4f}",
                f"∂h={g['dh'][j]:+.4f}\n∂z1={g['dz1'][j]:+.4f}\n∂b1={g['db1'][j]:+.4f}",
            )
            for j in range(2)
        },
        "o": (
            f"z2={f['z2'][0]:.4f}\no={f['o'][0]:.4f}",
            f"∂o={g['do'][0]:+.4f}\n∂z2={g['dz2'][0]:+.4f}\n∂b2={g['db2'][0]:+.4f}",
        ),
    }
    for name, (x, y) in nodes.items():
        ax.add_patch(
            plt.Circle((x, y), 0.16, color="#cfe2f3" if name[0] == "x" else "#fce5cd", ec="k", zorder=2)
        )
        ax.text(x, y, name, ha="center", va="center", zorder=3)
        above, below = texts[name]
        ax.text(x, y + 0.2, above, ha="center", va="bottom", fontsize=9)
        ax.text(x, y - 0.2, below, ha="center", va="top", fontsize=9, color="tab:red")
    ax.annotate("", (3.25, 0.75), (2.96, 0.75), arrowprops={"arrowstyle": "->"})
    ax.text(3.3, 0.75, f"L=½(o-y)²\n={float(f['loss']):.5f}\ny={r.y:g}", va="center")
    ax.set_title(
        t(
            "2-2-1 network: forward values (black), gradients ∂L/∂· (red); finite differences agree to "
            "{e:.1e}",
            "2-2-1 网络: 前向值 (黑), 梯度 ∂L/∂· (红); 与有限差分相差 {e:.1e}",
        ).format(e=r.max_rel_error)
    )
    fig.tight_layout()
    return fig
