"""Softmax: ten scores (logits) for the digits 0-9 turned into probabilities, and the temperature.

nnzero lesson softmax
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnzero.figures import plt
from nnzero.i18n import tr
from nnzero.lessons._figure import labeler
from nnzero.lessons._text import cell

## What the last layer of a digit classifier might output for one image: one score per class.
LOGITS = (2.0, 1.0, 0.1, 3.0, 0.5, -1.0, 0.0, 1.5, -0.5, 0.8)
TEMPERATURES = (0.5, 1.0, 2.0, 5.0)


def softmax(z, temperature: float = 1.0) -> np.ndarray:
    ## Subtracting the largest score changes nothing (it cancels between top and bottom)
    ## but keeps exp() from overflowing: exp(1000) is inf, exp(0) is 1.
    z = np.asarray(z, dtype=np.float64) / temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def entropy(p: np.ndarray) -> float:
    """How spread out the probabilities are, in nats: 0 for certainty, log(K) for uniform."""
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


@dataclass
class SoftmaxResult:
    logits: np.ndarray  # (10,)
    exps: np.ndarray  # (10,) e^z
    total: float  # Σ e^z
    probs: np.ndarray  # (10,) at temperature 1
    temperatures: tuple[float, ...]
    by_temperature: np.ndarray  # (T, 10)
    entropies: np.ndarray  # (T,)
    shifted_probs: np.ndarray  # (10,) softmax(z + 1000): the same probabilities


def compute(logits=LOGITS, temperatures=TEMPERATURES) -> SoftmaxResult:
    z = np.asarray(logits, dtype=np.float64)  # (10,)
    exps = np.exp(z)  # (10,)
    by_t = np.stack([softmax(z, t) for t in temperatures])  # (T, 10)
    return SoftmaxResult(
        z,
        exps,
        float(exps.sum()),
        softmax(z),
        tuple(temperatures),
        by_t,
        np.array([entropy(p) for p in by_t]),
        softmax(z + 1000.0),
    )


def explain(r: SoftmaxResult) -> list[str]:
    lines = [
        tr(
            "softmax(z)_i = e^(z_i) / Σ_j e^(z_j), for the scores of {k} classes:",
            "softmax(z)_i = e^(z_i) / Σ_j e^(z_j), 对 {k} 个类别的分数:",
            k=len(r.logits),
        ),
        cell(tr("class", "类别"), 6, left=True) + f"{'z':>7}{'e^z':>10}{'p':>9}",
    ]
    for i, (z, e, p) in enumerate(zip(r.logits, r.exps, r.probs, strict=True)):
        lines.append(f"{i:<6}{z:>7.2f}{e:>10.4f}{p:>9.4f}")
    lines.append(f"{'Σ':<6}{'':>7}{r.total:>10.4f}{r.probs.sum():>9.4f}")
    best = int(r.probs.argmax())
    lines.append(
        tr(
            "Largest score {z} (class {c}) -> largest probability {p:.4f}; the probabilities sum to {s:.6f}.",
            "最大的分数 {z} (类别 {c}) -> 最大的概率 {p:.4f}; 概率之和为 {s:.6f}。",
            z=r.logits[best],
            c=best,
            p=r.probs[best],
            s=r.probs.sum(),
        )
    )
    lines.append(
        tr(
            "Adding 1000 to every score gives the same probabilities (max difference {d:.1e}): "
            "only differences between scores matter.",
            "每个分数都加 1000, 概率不变 (最大差 {d:.1e}): 只有分数之间的差才有意义。",
            d=float(np.abs(r.shifted_probs - r.probs).max()),
        )
    )
    lines += [
        "",
        tr("Temperature T: softmax(z / T)", "温度 T: softmax(z / T)"),
        f"{'T':<6}" + "".join(f"{f'p{i}':>8}" for i in range(len(r.logits))) + cell(tr("entropy", "熵"), 9),
    ]
    for t, p, h in zip(r.temperatures, r.by_temperature, r.entropies, strict=True):
        lines.append(f"{t:<6g}" + "".join(f"{v:>8.4f}" for v in p) + f"{h:>9.3f}")
    lines.append(
        tr(
            "Low T sharpens towards the largest score (T -> 0: one-hot); high T flattens towards "
            "uniform (entropy -> log {k} = {h:.3f}).",
            "T 越小越集中到最大分数 (T -> 0: 独热); T 越大越接近均匀分布 (熵 -> log {k} = {h:.3f})。",
            k=len(r.logits),
            h=np.log(len(r.logits)),
        )
    )
    return lines


def key_numbers(r: SoftmaxResult) -> dict:
    return {
        "logits": r.logits.tolist(),
        "probs": r.probs.round(6).tolist(),
        "sum": float(r.probs.sum()),
        "argmax": int(r.probs.argmax()),
        "temperatures": {
            str(t): {"probs": p.round(6).tolist(), "entropy": round(float(h), 6)}
            for t, p, h in zip(r.temperatures, r.by_temperature, r.entropies, strict=True)
        },
    }


def figure(r: SoftmaxResult, zh: bool):
    t = labeler(zh)
    classes = np.arange(len(r.logits))  # (10,)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    axes[0].bar(classes, r.logits, color=["tab:red" if v < 0 else "tab:blue" for v in r.logits])
    axes[0].set_title(t("scores (logits) z", "分数 (logits) z"))
    axes[1].bar(classes, r.probs, color="tab:green")
    for c, p in zip(classes, r.probs, strict=True):
        axes[1].text(c, p + 0.005, f"{p:.2f}", ha="center", fontsize=8)
    axes[1].set_title(
        t("softmax(z): probabilities, sum = {s:.3f}", "softmax(z): 概率, 和 = {s:.3f}").format(
            s=r.probs.sum()
        )
    )
    width = 0.8 / len(r.temperatures)
    for k, (temp, p) in enumerate(zip(r.temperatures, r.by_temperature, strict=True)):
        axes[2].bar(classes - 0.4 + width * (k + 0.5), p, width, label=f"T = {temp:g}")
    axes[2].set_title(t("softmax(z / T): temperature", "softmax(z / T): 温度"))
    axes[2].legend()
    for ax in axes:
        ax.set_xticks(classes)
        ax.set_xlabel(t("class", "类别"))
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig
