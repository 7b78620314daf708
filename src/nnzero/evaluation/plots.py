"""Figures: confusion matrices and galleries of images (curves: ``nnzero.callbacks.curves``).

Matplotlib with the Agg backend (no screen needed), set up in ``nnzero.figures``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnzero.callbacks.curves import plot_curves  # noqa: F401 - the report draws curves too
from nnzero.figures import figure_text as tr  # drawn text: Chinese only with a CJK font
from nnzero.figures import plt, use_cjk_font  # noqa: F401 - lessons and evaluation draw with these


def plot_confusion(matrix: np.ndarray, classes: list[str], path: Path, title: str = "") -> None:
    """Counts per (true, predicted) pair; the diagonal is what it got right."""
    use_cjk_font()
    n = len(classes)
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * n, 0.8 + 0.6 * n))
    ax.imshow(np.log1p(matrix), cmap="Blues")
    for i in range(n):
        for j in range(n):
            color = "white" if matrix[i, j] > matrix.max() / 2 else "black"
            ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=8, color=color)
    ax.set_xticks(range(n), classes, rotation=45 if max(map(len, classes)) > 2 else 0)
    ax.set_yticks(range(n), classes)
    ax.set_xlabel(tr("predicted", "预测"))
    ax.set_ylabel(tr("true", "真实"))
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_gallery(images: np.ndarray, captions: list[str], path: Path, title: str = "", cols: int = 8) -> None:
    """A grid of images (N, C, H, W) uint8 with a caption under each."""
    use_cjk_font()
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
    fig.savefig(path, dpi=100)
    plt.close(fig)
