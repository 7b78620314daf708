"""Three losses for the same predictions, and why cross-entropy trains better.

    nnzero lesson loss

One output neuron a = σ(z) says how sure the model is that the image is of the true
class (label y = 1). The loss says how bad that is; its slope dL/dz is what training
follows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnzero.figures import plt
from nnzero.i18n import tr
from nnzero.lessons._figure import labeler
from nnzero.lessons._text import cell
from nnzero.lessons.activations import sigmoid

PREDICTIONS = (0.99, 0.9, 0.6, 0.4, 0.1, 0.01)  # a = σ(z) for the true class
START_Z, LR, MAX_STEPS = -5.0, 1.0, 2000  # the training race: confidently wrong at the start

LOSSES = {
    ## 0-1 loss: 1 for a wrong answer, else 0. Flat almost everywhere: its slope is 0.
    "zero_one": (lambda a: (a < 0.5).astype(np.float64), lambda a: np.zeros_like(a)),
    ## squared loss (a - 1)²: slope 2(a - 1)·σ'(z) carries σ'(z) = a(1 - a), which is
    ## tiny exactly when the model is confidently wrong (a near 0).
    "squared": (lambda a: (a - 1.0) ** 2, lambda a: 2 * (a - 1.0) * a * (1 - a)),
    ## cross-entropy -log a: slope a - 1; the σ' cancels, so being wrong gives a big push.
    "cross_entropy": (lambda a: -np.log(a), lambda a: a - 1.0),
}


LABELS = {
    "zero_one": ("0-1", "0-1"),
    "squared": ("squared", "平方"),
    "cross_entropy": ("cross-entropy", "交叉熵"),
}


@dataclass
class LossResult:
    predictions: np.ndarray  # (P,) a
    z: np.ndarray  # (P,) logit of a
    losses: dict[str, np.ndarray]  # name -> (P,)
    grads: dict[str, np.ndarray]  # name -> (P,) dL/dz
    steps_to_correct: dict[str, int | None]  # gradient-descent steps from START_Z until a > 0.5
    trajectories: dict[str, np.ndarray]  # name -> (steps + 1,) a during that race


def loss_and_grad(name: str, z) -> tuple[np.ndarray, np.ndarray]:
    """The loss and dL/dz for label 1 at logits ``z``."""
    a = sigmoid(np.asarray(z, dtype=np.float64))
    loss, grad = LOSSES[name]
    return loss(a), grad(a)


def race(name: str, z0: float = START_Z, lr: float = LR, max_steps: int = MAX_STEPS):
    """Plain gradient descent on z; the steps until the answer is right (None if never) and a over time."""
    z, trace = float(z0), [float(sigmoid(z0))]
    for step in range(1, max_steps + 1):
        z -= lr * float(loss_and_grad(name, z)[1])
        trace.append(float(sigmoid(z)))
        if trace[-1] > 0.5:
            return step, np.array(trace)
    return None, np.array(trace)


def compute(predictions=PREDICTIONS) -> LossResult:
    a = np.asarray(predictions, dtype=np.float64)  # (P,)
    z = np.log(a / (1 - a))  # (P,)
    losses, grads, steps, traces = {}, {}, {}, {}
    for name in LOSSES:
        losses[name], grads[name] = loss_and_grad(name, z)
        steps[name], traces[name] = race(name)
    return LossResult(a, z, losses, grads, steps, traces)


def _row(cells, fmt: str) -> str:
    return "".join(cell(c, 10, fmt) for c in cells)


def _names(short: bool = False) -> tuple[str, ...]:
    return tuple(tr(en.replace("-entropy", "-ent") if short else en, zh) for en, zh in LABELS.values())


def explain(r: LossResult) -> list[str]:
    lines = [
        tr(
            "True label y = 1; a = σ(z) is the predicted probability of the true class.",
            "真实标签 y = 1; a = σ(z) 是预测为真实类别的概率。",
        ),
        " " * 14 + " | " + cell(tr("loss", "损失"), 30, left=True) + " | dL/dz",
        f"{'a':>6}{'z':>8} | " + _row(_names(True), "") + " | " + _row(_names(True), ""),
    ]
    for i, (a, z) in enumerate(zip(r.predictions, r.z, strict=True)):
        lines.append(
            f"{a:>6.2f}{z:>8.3f} | "
            + _row([r.losses[n][i] for n in LOSSES], ".4f")
            + " | "
            + _row([r.grads[n][i] + 0.0 for n in LOSSES], ".4f")
        )
    worst = -1
    lines += [
        "",
        tr(
            "At a = {a} (confidently wrong) cross-entropy pushes {k:.0f} times harder than the squared "
            "loss, and 0-1 loss does not push at all.",
            "在 a = {a} (错得很自信) 时, 交叉熵的梯度是平方损失的 {k:.0f} 倍, 0-1 损失的梯度则为 0。",
            a=r.predictions[worst],
            k=abs(r.grads["cross_entropy"][worst] / r.grads["squared"][worst]),
        ),
        tr(
            "Gradient descent on z from a = {a:.4f} (lr {lr}): steps until the answer is right (a > 0.5):",
            "从 a = {a:.4f} 开始对 z 做梯度下降 (学习率 {lr}), 直到答对 (a > 0.5) 需要的步数:",
            a=sigmoid(START_Z),
            lr=LR,
        ),
    ]
    for label, steps in zip(_names(), r.steps_to_correct.values(), strict=True):
        shown = (
            steps
            if steps is not None
            else tr("never (stopped after {n})", "永远不会 ({n} 步后停止)", n=MAX_STEPS)
        )
        lines.append(f"  {cell(label, 14, left=True)} {shown}")
    return lines


def key_numbers(r: LossResult) -> dict:
    return {
        "predictions": r.predictions.tolist(),
        "losses": {n: v.round(6).tolist() for n, v in r.losses.items()},
        "dL_dz": {n: v.round(6).tolist() for n, v in r.grads.items()},
        "steps_to_correct": r.steps_to_correct,
    }


def figure(r: LossResult, zh: bool):
    t = labeler(zh)
    names = {name: t(en, zh) for name, (en, zh) in LABELS.items()}
    z = np.linspace(-6, 6, 400)  # (400,)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for name, label in names.items():
        loss, grad = loss_and_grad(name, z)
        axes[0].plot(z, loss, label=label)
        axes[1].plot(z, np.abs(grad), label=label)
        axes[1].plot(r.z, np.abs(r.grads[name]), "o", color=axes[1].lines[-1].get_color())
        axes[2].plot(r.trajectories[name], label=label)
    axes[0].set_ylim(0, 4)
    axes[0].set_title(t("loss for label 1", "标签为 1 时的损失"))
    axes[1].set_title(t("|dL/dz|: how hard training pushes", "|dL/dz|: 训练的推动力"))
    for ax in axes[:2]:
        ax.set_xlabel("z  (a = σ(z))")
    axes[2].axhline(0.5, color="gray", ls=":")
    axes[2].set_xscale("symlog", linthresh=10)
    axes[2].set_xlim(0, MAX_STEPS)
    axes[2].set_xlabel(t("gradient-descent step", "梯度下降步数"))
    axes[2].set_ylabel("a")
    axes[2].set_title(t("from confidently wrong to right", "从自信地答错到答对"))
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig
