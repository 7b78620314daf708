"""Figures: training curves, confusion matrices, galleries of images.

Matplotlib and its fonts come from ``nnzero.figures``: labels are Chinese only in Chinese and where a
CJK font is installed; otherwise English.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.ticker import MaxNLocator

from nnzero.figures import figure_zh, pick, plt, savefig, use_cjk_font

__all__ = [
    "plot_confusion",
    "plot_curves",
    "plot_gallery",
    "plt",
    "use_cjk_font",
]  # plt, use_cjk_font: for now


def plot_curves(rows: list[dict], path: Path, title: str = "") -> None:
    epochs = [r["epoch"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, key, label in ((axes[0], "loss", "loss"), (axes[1], "accuracy", "accuracy")):
        ax.plot(epochs, [r[f"train_{key}"] for r in rows], "o-", label="train")
        if any(r.get(f"val_{key}") is not None for r in rows):
            ax.plot(epochs, [r[f"val_{key}"] for r in rows], "s-", label="val")
        ax.set_xlabel("epoch")
        ax.set_title(label)
        ax.grid(alpha=0.3)
        ax.legend()
    axes[2].plot(epochs, [r["lr"] for r in rows], "o-", color="tab:green")
    axes[2].set_title("learning rate (end of epoch)")
    axes[2].set_xlabel("epoch")
    axes[2].grid(alpha=0.3)
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    fig.suptitle(title)
    fig.tight_layout()
    savefig(fig, path, dpi=100)


def plot_confusion(matrix: np.ndarray, classes: list[str], path: Path, title: str = "") -> None:
    """Counts per (true, predicted) pair; the diagonal is what it got right."""
    zh = figure_zh()
    n = len(classes)
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * n, 0.8 + 0.6 * n))
    ax.imshow(np.log1p(matrix), cmap="Blues")
    for i in range(n):
        for j in range(n):
            color = "white" if matrix[i, j] > matrix.max() / 2 else "black"
            ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=8, color=color)
    ax.set_xticks(range(n), classes, rotation=45 if max(map(len, classes)) > 2 else 0)
    ax.set_yticks(range(n), classes)
    ax.set_xlabel(pick("predicted", "预测", zh))
    ax.set_ylabel(pick("true", "真实", zh))
    ax.set_title(title)
    fig.tight_layout()
    savefig(fig, path, dpi=100)


def plot_gallery(images: np.ndarray, captions: list[str], path: Path, title: str = "", cols: int = 8) -> None:
    """A grid of images (N, C, H, W) uint8 with a caption under each."""
    use_cjk_font()  # a caption may hold a class name in Chinese
    n = max(1, len(images))
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.9 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, caption in zip(axes.flat, images, captions):
        if image.shape[0] == 1:
            ax.imshow(image[0], cmap="gray", vmin=0, vmax=255)
        else:
            ax.imshow(np.transpose(image, (1, 2, 0)))
        ax.set_title(caption, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    savefig(fig, path, dpi=100)
