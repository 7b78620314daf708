"""The perceptron: 「今天加班吗?」 (work overtime today?) as a weighted sum and a threshold.

nnzero lesson neuron --lang zh
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from nnzero.figures import plt
from nnzero.i18n import lang, tr
from nnzero.lessons._figure import labeler
from nnzero.lessons._text import cell
from nnzero.lessons.activations import sigmoid

## Three yes/no questions (1 = yes, 0 = no). A weight says how much each one pushes
## towards "yes, overtime": a negative weight pushes against it.
FACTORS = (
    ("project due tomorrow", "项目明天截止"),
    ("overtime is paid", "有加班费"),
    ("plans tonight", "今晚有约"),
)
WEIGHTS = (6.0, 3.0, -3.0)
## The neuron fires when the weighted sum passes a threshold; moving the threshold to
## the left-hand side gives the bias: w·x > 5  <=>  w·x + b > 0 with b = -5.
THRESHOLD = 5.0


@dataclass
class NeuronResult:
    factors: tuple[tuple[str, str], ...]  # (English, 中文) for each input
    weights: np.ndarray  # (3,)
    bias: float
    cases: np.ndarray  # (8, 3) every combination of 0/1 inputs
    z: np.ndarray  # (8,) weighted sum plus bias
    step: np.ndarray  # (8,) the perceptron's 0/1 answer
    sigmoid: np.ndarray  # (8,) the same neuron with a sigmoid: a value between 0 and 1


def compute(weights=WEIGHTS, threshold: float = THRESHOLD) -> NeuronResult:
    w = np.asarray(weights, dtype=np.float64)  # (3,)
    b = -float(threshold)
    cases = np.array(list(itertools.product((0, 1), repeat=len(w))), dtype=np.float64)  # (8, 3)
    z = cases @ w + b  # (8,)
    ## The step function: 1 when z > 0, else 0. It is what makes a perceptron a decision.
    step = (z > 0).astype(np.int64)  # (8,)
    return NeuronResult(FACTORS, w, b, cases, z, step, sigmoid(z))


def _sum_text(r: NeuronResult, x: np.ndarray) -> str:
    terms = " + ".join(
        f"{w:g}·{int(v)}" if w >= 0 else f"({w:g})·{int(v)}" for w, v in zip(r.weights, x, strict=True)
    )
    return f"{terms} {'-' if r.bias < 0 else '+'} {abs(r.bias):g}"


def explain(r: NeuronResult) -> list[str]:
    zh = lang() == "zh"
    lines = [
        tr(
            "Work overtime today? Three yes/no inputs (1 = yes, 0 = no):",
            "今天加班吗? 三个是/否输入 (1 = 是, 0 = 否):",
        )
    ]
    for i, ((en, cn), w) in enumerate(zip(r.factors, r.weights, strict=True), 1):
        lines.append(f"  x{i} = {cell(cn if zh else en, 22, left=True)} w{i} = {w:g}")
    lines.append(
        tr(
            "bias b = -threshold = {b:g}: overtime only when the weighted sum is above {t:g}",
            "偏置 b = -阈值 = {b:g}: 加权和超过 {t:g} 才加班",
            b=r.bias,
            t=-r.bias,
        )
    )
    lines.append("")
    lines.append(
        "x1 x2 x3 | z = w·x + b".ljust(44) + f"| {cell(tr('step', '阶跃'), 8, left=True)}| sigmoid(z)"
    )
    for x, z, s, p in zip(r.cases, r.z, r.step, r.sigmoid, strict=True):
        answer = tr("yes", "加班") if s else tr("no", "不加")
        lines.append(
            f" {int(x[0])}  {int(x[1])}  {int(x[2])} | {_sum_text(r, x)} = {z:+g}".ljust(44)
            + f"| {s} {cell(answer, 6, left=True)}| {p:.4f}"
        )
    lines.append("")
    lines.append(
        tr(
            "The step answers only 0 or 1, and flips all at once when z crosses 0. "
            "The sigmoid σ(z) = 1/(1+e^(-z)) gives a smooth value between 0 and 1, "
            "read as how sure the neuron is; it has a slope everywhere, so gradient "
            "descent can learn the weights.",
            "阶跃函数只输出 0 或 1, z 越过 0 时答案突然翻转。sigmoid σ(z) = 1/(1+e^(-z)) "
            "给出 0 到 1 之间的平滑值, 可以理解为「有多大把握加班」; 它处处有斜率, "
            "所以能用梯度下降学习权重。",
        )
    )
    return lines


def key_numbers(r: NeuronResult) -> dict:
    return {
        "weights": r.weights.tolist(),
        "bias": r.bias,
        "cases": [
            {"x": x.astype(int).tolist(), "z": float(z), "step": int(s), "sigmoid": round(float(p), 6)}
            for x, z, s, p in zip(r.cases, r.z, r.step, r.sigmoid, strict=True)
        ],
    }


def _draw_neuron(ax, r: NeuronResult, t) -> None:
    ax.set_xlim(-0.2, 4.4)
    ax.set_ylim(-0.7, 2.7)
    ax.set_aspect("equal")
    ax.axis("off")
    body, radius = np.array([2.3, 1.0]), 0.4
    for i, ((en, cn), w) in enumerate(zip(r.factors, r.weights, strict=True)):
        y = 2.0 - i
        ax.add_patch(plt.Circle((0.25, y), 0.22, color="#cfe2f3", ec="k"))
        ax.text(0.25, y, f"x{i + 1}", ha="center", va="center")
        ax.text(0.25, y - 0.36, t(en, cn), ha="center", va="top", fontsize=8)
        direction = (body - (0.47, y)) / np.linalg.norm(body - (0.47, y))
        ax.annotate(
            "",
            body - radius * direction,
            (0.47, y),
            arrowprops={"arrowstyle": "->", "color": "tab:red" if w < 0 else "k"},
        )
        ax.text(
            1.2,
            y + (body[1] - y) * 0.38 + 0.08,
            f"w{i + 1}={w:g}",
            fontsize=9,
            color="tab:red" if w < 0 else "k",
            bbox={"fc": "white", "ec": "none", "pad": 1},
        )
    ax.add_patch(plt.Circle(body, radius, color="#fce5cd", ec="k"))
    ax.text(*body, f"Σ\nb={r.bias:g}", ha="center", va="center", fontsize=10)
    ax.annotate("", (3.5, 1.0), (body[0] + radius, 1.0), arrowprops={"arrowstyle": "->"})
    ax.text(3.55, 1.0, t("0/1\novertime?", "0/1\n加班?"), va="center", fontsize=10)
    ax.set_title(t("a perceptron", "感知机"))


def figure(r: NeuronResult, zh: bool):
    t = labeler(zh)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    _draw_neuron(axes[0], r, t)
    ax = axes[1]
    zs = np.linspace(-10, 7, 400)  # (400,)
    ax.plot(zs, (zs > 0).astype(float), color="tab:blue", label=t("step (perceptron)", "阶跃 (感知机)"))
    ax.plot(zs, sigmoid(zs), color="tab:orange", label="sigmoid σ(z)")
    ax.plot(r.z, r.step, "o", color="tab:blue")
    ax.plot(r.z, r.sigmoid, "s", color="tab:orange")
    for z in np.unique(r.z):  # cases with the same z share one label
        same = r.z == z
        codes = ", ".join("".join(str(int(v)) for v in x) for x in r.cases[same])
        s, p = r.step[same][0], r.sigmoid[same][0]
        ax.annotate(codes, (z, p), textcoords="offset points", xytext=(6, -14 if s else 8), fontsize=8)
    ax.axvline(0, color="gray", lw=0.8, ls="--")
    ax.set_xlabel("z = w·x + b")
    ax.set_ylabel(t("output", "输出"))
    ax.set_title(t("Work overtime today? each case x1x2x3", "今天加班吗? 每种情况 x1x2x3"))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig
