"""SGD, momentum and Adam on a two-parameter loss surface with four valleys, from the same start.

    nnzero lesson gradient-descent

The surface is a gentle bowl with four Gaussian dips a, b, c, d; d is the deepest
(the global minimum), the others are local minima. Each optimizer follows the exact
gradient here; with data it would be the gradient of one mini-batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnzero.figures import plt
from nnzero.i18n import tr
from nnzero.lessons._figure import labeler
from nnzero.lessons._text import cell

BOWL = 0.05
VALLEYS = {  # name: (centre, depth, width)
    "a": ((-2.0, 0.5), 0.4, 0.7),  ## shallow, right on the way down: a trap
    "b": ((0.0, 3.2), 1.2, 0.9),
    "c": ((0.5, -3.5), 1.5, 0.9),
    "d": ((3.0, -0.5), 3.0, 1.5),  ## deepest and widest: the global minimum
}
START = (-5.0, 2.0)
STEPS = 400
OPTIMIZERS = {"sgd": 0.1, "momentum": 0.1, "adam": 0.2}  # name: learning rate
MOMENTUM, BETA1, BETA2, EPS = 0.9, 0.9, 0.999, 1e-8


def loss_and_grad(p) -> tuple[np.ndarray, np.ndarray]:
    """L(w1, w2) and its gradient at points ``p`` (..., 2)."""
    p = np.asarray(p, dtype=np.float64)  # (..., 2)
    loss = BOWL * (p**2).sum(-1)  # (...,)
    grad = 2 * BOWL * p  # (..., 2)
    for centre, depth, width in VALLEYS.values():
        d = p - np.asarray(centre)  # (..., 2)
        dip = depth * np.exp(-(d**2).sum(-1) / (2 * width**2))  # (...,)
        loss = loss - dip
        grad = grad + dip[..., None] * d / width**2
    return loss, grad


def descend(name: str, start=START, lr: float | None = None, steps: int = STEPS) -> np.ndarray:
    """The points visited by one optimizer, (steps + 1, 2)."""
    lr = OPTIMIZERS[name] if lr is None else lr
    p = np.array(start, dtype=np.float64)  # (2,)
    v, m, s = np.zeros(2), np.zeros(2), np.zeros(2)  # (2,) each
    path = [p.copy()]
    for t in range(1, steps + 1):
        g = loss_and_grad(p)[1]
        if name == "sgd":
            ## step downhill, in proportion to the slope: where the slope is 0, it stops.
            p = p - lr * g
        elif name == "momentum":
            ## a ball with inertia: velocity remembers 90% of the past steps, so it can
            ## roll through a small dip instead of stopping in it.
            v = MOMENTUM * v - lr * g
            p = p + v
        else:
            ## Adam: momentum (m) divided by the recent size of the gradient (sqrt(s)),
            ## so each parameter moves about lr per step even where the slope is gentle.
            m = BETA1 * m + (1 - BETA1) * g
            s = BETA2 * s + (1 - BETA2) * g * g
            p = p - lr * (m / (1 - BETA1**t)) / (np.sqrt(s / (1 - BETA2**t)) + EPS)
        path.append(p.copy())
    return np.array(path)  # (steps + 1, 2)


def valley_minima() -> dict[str, np.ndarray]:
    """Where each valley's bottom really is (the dips overlap, so not exactly at the centres)."""
    return {k: descend("sgd", centre, lr=0.1, steps=3000)[-1] for k, (centre, _, _) in VALLEYS.items()}


@dataclass
class DescentResult:
    start: np.ndarray  # (2,)
    minima: dict[str, np.ndarray]  # valley -> (2,) bottom
    minima_loss: dict[str, float]
    global_valley: str
    paths: dict[str, np.ndarray]  # optimizer -> (steps + 1, 2)
    losses: dict[str, np.ndarray]  # optimizer -> (steps + 1,)
    ended_in: dict[str, str | None]  # optimizer -> valley it stopped in (None: still moving)


def compute(start=START) -> DescentResult:
    minima = valley_minima()
    minima_loss = {k: float(loss_and_grad(p)[0]) for k, p in minima.items()}
    paths = {name: descend(name, start) for name in OPTIMIZERS}
    ended = {}
    for name, path in paths.items():
        dist = {k: float(np.linalg.norm(path[-1] - q)) for k, q in minima.items()}
        nearest = min(dist, key=dist.get)
        ended[name] = nearest if dist[nearest] < 0.05 else None
    return DescentResult(
        np.asarray(start, dtype=np.float64),
        minima,
        minima_loss,
        min(minima_loss, key=minima_loss.get),
        paths,
        {n: loss_and_grad(p)[0] for n, p in paths.items()},
        ended,
    )


def explain(r: DescentResult) -> list[str]:
    lines = [
        tr(
            "Valleys of L(w1, w2) (bottom found by descending from each centre):",
            "L(w1, w2) 的山谷 (从各山谷中心下降找到谷底):",
        )
    ]
    for k, p in r.minima.items():
        kind = (
            tr("global minimum", "全局最小值") if k == r.global_valley else tr("local minimum", "局部最小值")
        )
        lines.append(f"  {k}: w = ({p[0]:+.3f}, {p[1]:+.3f})  L = {r.minima_loss[k]:+.4f}  {kind}")
    lines += [
        "",
        tr(
            "All three start at w = ({x:+.2f}, {y:+.2f}), L = {l:+.4f}, for {n} steps:",
            "三个优化器都从 w = ({x:+.2f}, {y:+.2f}), L = {l:+.4f} 出发, 走 {n} 步:",
            x=r.start[0],
            y=r.start[1],
            l=r.losses["sgd"][0],
            n=STEPS,
        ),
        cell(tr("optimizer", "优化器"), 10, left=True)
        + cell("lr", 6)
        + cell(tr("end w", "终点 w"), 22)
        + cell(tr("end L", "终点 L"), 10)
        + "  "
        + tr("valley", "山谷"),
    ]
    for name, path in r.paths.items():
        end = path[-1]
        where = r.ended_in[name] or "-"
        lines.append(
            cell(name, 10, left=True)
            + cell(OPTIMIZERS[name], 6, "g")
            + cell(f"({end[0]:+.3f}, {end[1]:+.3f})", 22)
            + cell(r.losses[name][-1], 10, "+.4f")
            + f"  {where}"
        )
    stuck = [n for n, v in r.ended_in.items() if v and v != r.global_valley]
    lines.append("")
    lines.append(
        tr(
            "SGD stops where the slope is zero, so it settles in the first valley on its way ({s}); "
            "momentum carries speed through that small dip, and Adam keeps a steady step size on "
            "gentle slopes: both reach the global minimum {g}.",
            "SGD 在斜率为零的地方停下, 所以停在路上遇到的第一个山谷 ({s}); 动量带着速度冲过这个小坑, "
            "Adam 在平缓的坡上也保持稳定的步长: 两者都到达了全局最小值 {g}。",
            s=", ".join(f"{n} -> {r.ended_in[n]}" for n in stuck) or "-",
            g=r.global_valley,
        )
    )
    return lines


def key_numbers(r: DescentResult) -> dict:
    return {
        "start": r.start.tolist(),
        "global_valley": r.global_valley,
        "minima": {
            k: {"w": p.round(4).tolist(), "loss": round(r.minima_loss[k], 6)} for k, p in r.minima.items()
        },
        "optimizers": {
            n: {
                "lr": OPTIMIZERS[n],
                "end": r.paths[n][-1].round(4).tolist(),
                "loss": round(float(r.losses[n][-1]), 6),
                "valley": r.ended_in[n],
            }
            for n in r.paths
        },
    }


def figure(r: DescentResult, zh: bool):
    t = labeler(zh)
    g = np.linspace(-6, 6, 241)  # (241,)
    w1, w2 = np.meshgrid(g, g)  # (241, 241) each
    surface = loss_and_grad(np.stack([w1, w2], -1))[0]  # (241, 241)
    fig, axes = plt.subplots(1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [1.1, 1]})
    ax = axes[0]
    filled = ax.contourf(w1, w2, surface, levels=30, cmap="viridis")
    ax.contour(w1, w2, surface, levels=30, colors="white", linewidths=0.3)
    fig.colorbar(filled, ax=ax, label="L(w1, w2)")
    colors = {"sgd": "tab:red", "momentum": "orange", "adam": "white"}
    for name, path in r.paths.items():
        ax.plot(path[:, 0], path[:, 1], ".-", color=colors[name], ms=2, lw=1.2, label=name)
        ax.plot(*path[-1], "X", color=colors[name], ms=10, mec="k")
    for k, p in r.minima.items():
        ax.annotate(
            k, p, textcoords="offset points", xytext=(8, 8), fontsize=16, color="yellow", weight="bold"
        )
    ax.plot(*r.start, "o", color="white", mec="k", ms=9)
    ax.annotate(t("start", "起点"), r.start, textcoords="offset points", xytext=(-10, 10), color="white")
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    ax.set_title(t("loss surface with valleys a, b, c, d", "有 a、b、c、d 四个山谷的损失曲面"))
    ax.legend(loc="lower left")
    ax = axes[1]
    for name, losses in r.losses.items():
        where = r.ended_in[name] or "?"
        ax.plot(losses, color=colors[name] if name != "adam" else "tab:blue", label=f"{name} -> {where}")
    for k, v in r.minima_loss.items():
        ax.axhline(v, color="gray", ls=":", lw=1)
        ax.text(STEPS * 1.01, v, k, va="center")
    ax.set_xlabel(t("step", "步数"))
    ax.set_ylabel("L")
    ax.set_title(t("loss along each path", "各路径上的损失"))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
