"""Activation functions, their slopes, and why deep stacks of sigmoids stop learning.

nnzero lesson activations
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnzero.figures import plt
from nnzero.i18n import tr
from nnzero.lessons._figure import labeler
from nnzero.lessons._text import cell

LEAK = 0.1  ## leaky ReLU's slope for x < 0 (0.01 is common; 0.1 is easier to see)
X0 = 0.5  ## the input sent through the stack
DEPTHS = (5, 10)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


## Each entry: the function and its derivative, written from the function's output
## where that is how backprop computes it (σ' = σ(1-σ), tanh' = 1-tanh²).
FUNCTIONS = {
    "sigmoid": (sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x))),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (np.asarray(x) > 0).astype(np.float64)),
    "leaky_relu": (lambda x: np.where(x > 0, x, LEAK * x), lambda x: np.where(np.asarray(x) > 0, 1.0, LEAK)),
}


@dataclass
class ActivationsResult:
    x: np.ndarray  # (401,) where the curves are drawn
    values: dict[str, np.ndarray]  # name -> (401,)
    slopes: dict[str, np.ndarray]  # name -> (401,)
    max_slope: dict[str, float]
    ## The chain rule through a stack h_k = f(h_{k-1}): d h_n / d x0 is the product of
    ## the n local slopes f'(h_{k-1}). factors[name] holds them, products[name][k-1] = Π of the first k.
    x0: float
    factors: dict[str, np.ndarray]  # name -> (max depth,)
    products: dict[str, np.ndarray]  # name -> (max depth,)
    depths: tuple[int, ...]


def stack_factors(name: str, x0: float, depth: int) -> np.ndarray:
    """The local slopes f'(h) met on the way through ``depth`` stacked layers of f."""
    f, df = FUNCTIONS[name]
    h, factors = float(x0), []
    for _ in range(depth):
        factors.append(float(df(h)))
        h = float(f(h))
    return np.array(factors)  # (depth,)


def stack_output(name: str, x0: float, depth: int) -> float:
    f = FUNCTIONS[name][0]
    h = float(x0)
    for _ in range(depth):
        h = float(f(h))
    return h


def compute(x0: float = X0, depths=DEPTHS) -> ActivationsResult:
    x = np.linspace(-5, 5, 401)  # (401,)
    values = {n: np.asarray(f(x), dtype=np.float64) for n, (f, _) in FUNCTIONS.items()}
    slopes = {n: np.asarray(df(x), dtype=np.float64) for n, (_, df) in FUNCTIONS.items()}
    factors = {n: stack_factors(n, x0, max(depths)) for n in FUNCTIONS}
    products = {n: np.cumprod(f) for n, f in factors.items()}
    return ActivationsResult(
        x,
        values,
        slopes,
        {n: float(s.max()) for n, s in slopes.items()},
        float(x0),
        factors,
        products,
        tuple(depths),
    )


def explain(r: ActivationsResult) -> list[str]:
    lines = [tr("Largest slope of each activation (x from -5 to 5):", "各激活函数的最大斜率 (x 从 -5 到 5):")]
    lines += [f"  {n:<11} max f'(x) = {m:.4f}" for n, m in r.max_slope.items()]
    lines += [
        "",
        tr(
            "Send x0 = {x0} through n stacked layers h_k = f(h_(k-1)) (weights 1). By the chain rule",
            "把 x0 = {x0} 送过 n 层叠加的 h_k = f(h_(k-1)) (权重为 1)。由链式法则,",
            x0=r.x0,
        ),
        tr(
            "  d h_n / d x0 = f'(h_0) · f'(h_1) · ... · f'(h_(n-1))",
            "  d h_n / d x0 = f'(h_0) · f'(h_1) · ... · f'(h_(n-1))",
        ),
    ]
    s = r.factors["sigmoid"][:5]
    lines.append("  sigmoid: " + " · ".join(f"{v:.4f}" for v in s) + f" = {np.prod(s):.3e}")
    lines.append("")
    lines.append(
        cell(tr("depth", "层数"), 6, left=True) + "".join(f"{n:>13}" for n in FUNCTIONS) + f"{'0.25^n':>13}"
    )
    for d in r.depths:
        lines.append(
            f"{d:<6}" + "".join(f"{r.products[n][d - 1]:>13.3e}" for n in FUNCTIONS) + f"{0.25**d:>13.3e}"
        )
    lines.append("")
    lines.append(
        tr(
            "A sigmoid's slope is at most 0.25, so every layer shrinks the gradient at least 4 times: "
            "after 10 layers less than a millionth is left and the first layers barely learn "
            "(the vanishing gradient). ReLU's slope is 1 wherever it is active, so the gradient "
            "passes through unchanged.",
            "sigmoid 的斜率最大只有 0.25, 每经过一层梯度至少缩小 4 倍: 10 层之后剩下不到百万分之一, "
            "前面的层几乎学不动 (梯度消失)。ReLU 在激活区的斜率是 1, 梯度原样传回去。",
        )
    )
    return lines


def key_numbers(r: ActivationsResult) -> dict:
    return {
        "max_slope": r.max_slope,
        "x0": r.x0,
        "gradient_through_stack": {
            str(d): {n: float(p[d - 1]) for n, p in r.products.items()} for d in r.depths
        },
        "sigmoid_bound": {str(d): 0.25**d for d in r.depths},
    }


def figure(r: ActivationsResult, zh: bool):
    t = labeler(zh)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    for n in FUNCTIONS:
        axes[0].plot(r.x, r.values[n], label=n)
        axes[1].plot(r.x, r.slopes[n], label=n)
    axes[0].set_ylim(-1.5, 3)
    axes[0].set_title(t("activation f(x)", "激活函数 f(x)"))
    axes[1].set_title(t("derivative f'(x)", "导数 f'(x)"))
    axes[1].axhline(0.25, color="gray", ls=":", lw=1)
    axes[1].text(-4.9, 0.27, t("sigmoid max 0.25", "sigmoid 最大 0.25"), fontsize=8, color="gray")
    depth = np.arange(1, max(r.depths) + 1)  # (10,)
    for n in FUNCTIONS:  # relu and leaky_relu coincide here (both 1): dashed so both show
        axes[2].semilogy(depth, r.products[n], "o--" if n == "leaky_relu" else "o-", label=n)
    for d in r.depths:
        axes[2].axvline(d, color="gray", ls=":", lw=1)
        axes[2].annotate(
            f"{r.products['sigmoid'][d - 1]:.1e}",
            (d, r.products["sigmoid"][d - 1]),
            textcoords="offset points",
            xytext=(-40, -12),
            fontsize=8,
        )
    axes[2].set_xlabel(t("layers stacked", "叠加的层数"))
    axes[2].set_title(t("gradient reaching the input (vanishing gradient)", "传回输入的梯度 (梯度消失)"))
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_xlabel("x")
    axes[1].set_xlabel("x")
    fig.tight_layout()
    return fig
