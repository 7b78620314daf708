"""Convolution on a real MNIST digit: vertical and horizontal edge kernels, then max pooling.

nnzero lesson conv
nnzero lesson conv --index 0      # another test image (0 is a 7)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnzero.figures import plt
from nnzero.i18n import tr
from nnzero.lessons._figure import labeler

INDEX = 4  # MNIST test image 4 is a 4: two vertical strokes and a horizontal bar
## Left column minus right column: large where brightness changes from left to right,
## that is on vertical edges. Its transpose does the same for top minus bottom.
VERTICAL = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float64)  # (3, 3)
KERNELS = {"vertical": VERTICAL, "horizontal": VERTICAL.T}
POOL = 2


def conv2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """'Valid' convolution as deep learning uses it (no kernel flip): slide, multiply, add."""
    k = kernel.shape[0]
    windows = np.lib.stride_tricks.sliding_window_view(image, (k, k))  # (H-k+1, W-k+1, k, k)
    return np.einsum("ijkl,kl->ij", windows, kernel)  # (H-k+1, W-k+1)


def max_pool(x: np.ndarray, size: int = POOL) -> np.ndarray:
    """The largest value of each size x size block: half the resolution, the strongest response kept."""
    h, w = (x.shape[0] // size) * size, (x.shape[1] // size) * size
    return x[:h, :w].reshape(h // size, size, w // size, size).max(axis=(1, 3))  # (h/size, w/size)


@dataclass
class ConvResult:
    index: int
    label: int
    image: np.ndarray  # (28, 28) in [0, 1]
    maps: dict[str, np.ndarray]  # kernel -> (26, 26) signed response
    pooled: dict[str, np.ndarray]  # kernel -> (13, 13) max pool of ReLU(response)
    strength: dict[str, float]  # kernel -> Σ|response|
    worked: dict[
        str, tuple[int, int, np.ndarray, float]
    ]  # kernel -> (row, col, 3x3 patch, value) at its peak


def compute(index: int = INDEX) -> ConvResult:
    from nnzero.datasets.mnist import load_arrays

    images, labels = load_arrays("test")
    if not 0 <= index < len(images):
        from nnzero.errors import NnzeroError

        raise NnzeroError(
            tr(
                "--index must be between 0 and {n}, got {i}",
                "--index 必须在 0 到 {n} 之间, 现在是 {i}",
                n=len(images) - 1,
                i=index,
            )
        )
    image = images[index].astype(np.float64) / 255.0  # (28, 28)
    maps = {name: conv2d(image, k) for name, k in KERNELS.items()}
    ## A CNN follows the convolution with ReLU (keep positive responses) and pooling.
    pooled = {name: max_pool(np.maximum(m, 0.0)) for name, m in maps.items()}
    worked = {}
    for name, m in maps.items():
        i, j = np.unravel_index(int(np.argmax(m)), m.shape)
        worked[name] = (int(i), int(j), image[i : i + 3, j : j + 3].copy(), float(m[i, j]))
    return ConvResult(
        index,
        int(labels[index]),
        image,
        maps,
        pooled,
        {n: float(np.abs(m).sum()) for n, m in maps.items()},
        worked,
    )


def _names() -> dict[str, str]:
    return {"vertical": tr("vertical edges", "垂直边缘"), "horizontal": tr("horizontal edges", "水平边缘")}


def explain(r: ConvResult) -> list[str]:
    names = _names()
    h, w = r.image.shape
    m = r.maps["vertical"].shape
    p = r.pooled["vertical"].shape
    lines = [
        tr(
            "MNIST test image {i} (a {d}), pixels scaled to 0..1: {h}x{w}",
            "MNIST 测试图像 {i} (数字 {d}), 像素缩放到 0..1: {h}x{w}",
            i=r.index,
            d=r.label,
            h=h,
            w=w,
        ),
        tr(
            "3x3 kernel, no padding -> {a}x{b}; ReLU; {k}x{k} max pooling -> {c}x{d}",
            "3x3 卷积核, 不填充 -> {a}x{b}; ReLU; {k}x{k} 最大池化 -> {c}x{d}",
            a=m[0],
            b=m[1],
            k=POOL,
            c=p[0],
            d=p[1],
        ),
    ]
    for name, (i, j, patch, value) in r.worked.items():
        k = KERNELS[name]
        lines += [
            "",
            tr(
                "{n}: kernel {k}; strongest response at ({i}, {j}):",
                "{n}: 卷积核 {k}; 最强响应在 ({i}, {j}):",
                n=names[name],
                k=k.astype(int).tolist(),
                i=i,
                j=j,
            ),
        ]
        for row_p, row_k in zip(patch, k, strict=True):
            lines.append(
                "  "
                + " ".join(f"{v:.2f}" for v in row_p)
                + "   ×   "
                + " ".join(f"{int(v):>2}" for v in row_k)
            )
        terms = " + ".join(
            f"{v:.2f}·{int(c)}" if c > 0 else f"{v:.2f}·({int(c)})"
            for v, c in zip(patch.ravel(), k.ravel(), strict=True)
            if c != 0
        )
        lines.append(f"  = {terms} = {value:.2f}")
    lines += [
        "",
        tr(
            "Total |response|: vertical {v:.1f}, horizontal {h:.1f}. Each map lights up only where the "
            "digit has strokes of its direction; pooling keeps the strongest response of each 2x2 block.",
            "响应绝对值之和: 垂直 {v:.1f}, 水平 {h:.1f}。每张特征图只在数字有对应方向笔画的地方亮起; "
            "池化保留每个 2x2 区域里最强的响应。",
            v=r.strength["vertical"],
            h=r.strength["horizontal"],
        ),
    ]
    return lines


def key_numbers(r: ConvResult) -> dict:
    return {
        "index": r.index,
        "label": r.label,
        "map_shape": list(r.maps["vertical"].shape),
        "pooled_shape": list(r.pooled["vertical"].shape),
        "strength": r.strength,
        "peak": {n: {"row": i, "col": j, "value": round(v, 6)} for n, (i, j, _, v) in r.worked.items()},
    }


def figure(r: ConvResult, zh: bool):
    t = labeler(zh)
    names = {"vertical": t("vertical edges", "垂直边缘"), "horizontal": t("horizontal edges", "水平边缘")}
    fig, axes = plt.subplots(2, 3, figsize=(12, 8.4), layout="constrained")
    axes[0, 0].imshow(r.image, cmap="gray")
    axes[0, 0].set_title(t("original image", "原始图像") + f" ({r.label})")
    limit = max(np.abs(m).max() for m in r.maps.values())
    for col, (name, m) in enumerate(r.maps.items(), 1):
        shown = axes[0, col].imshow(m, cmap="bwr", vmin=-limit, vmax=limit)
        axes[0, col].set_title(names[name])
        axes[1, col].imshow(r.pooled[name], cmap="magma", vmin=0, vmax=limit)
        axes[1, col].set_title(
            t("{n}: ReLU + 2x2 max pool", "{n}: ReLU + 2x2 最大池化").format(n=names[name])
        )
    fig.colorbar(shown, ax=axes[:, 2].tolist(), shrink=0.6, label=t("response", "响应"))
    ax = axes[1, 0]
    ax.axis("off")
    ax.set_xlim(0, 9)
    ax.set_ylim(0, 5)
    for left, (name, k) in zip((0.5, 5.0), KERNELS.items(), strict=True):  # each kernel as a grid of numbers
        ax.text(left + 1.5, 4.4, names[name], ha="center", fontsize=11)
        for (i, j), v in np.ndenumerate(k):
            ax.text(
                left + 0.5 + j,
                3.2 - i,
                f"{int(v)}",
                ha="center",
                va="center",
                fontsize=14,
                color="tab:red" if v > 0 else ("tab:blue" if v < 0 else "gray"),
            )
    ax.set_title(t("3x3 kernels", "3x3 卷积核"))
    for a in axes.flat[1:]:
        a.set_xticks([])
        a.set_yticks([])
    axes[0, 0].set_xticks([])
    axes[0, 0].set_yticks([])
    fig.suptitle(
        t(
            "convolution: original image / vertical edges / horizontal edges",
            "卷积: 原始图像 / 垂直边缘 / 水平边缘",
        )
    )
    return fig
