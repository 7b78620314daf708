"""Pictures of first-layer weights: each unit's 784 weights drawn as a 28x28 map.

For softmax regression the ten maps are the course's "weight of every pixel for
every digit": red pixels vote for the digit, blue ones against it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnzero.figures import plt, savefig, use_cjk_font


def plot_weight_maps(
    W: np.ndarray, path: Path, titles: list[str], image_size: int = 28, cols: int = 10, title: str = ""
) -> Path:
    """One map per column of W (pixels, units), red positive and blue negative, each on its own symmetric scale."""
    use_cjk_font()
    units = W.shape[1]
    rows = (units + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.45 * rows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for j, ax in zip(range(units), axes.flat, strict=False):
        m = W[:, j].reshape(image_size, image_size)  # (28, 28)
        ## A symmetric scale keeps white at 0, so the colour alone says the weight's sign.
        limit = float(np.abs(m).max()) or 1.0
        ax.imshow(m, cmap="bwr", vmin=-limit, vmax=limit)
        ax.set_title(titles[j], fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    savefig(fig, path, dpi=100)
    return Path(path)
