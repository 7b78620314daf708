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
    height = 1.45 * rows + 0.5
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, height), squeeze=False)
    ## A fixed layout and the titles as plain text: tight_layout and axes titles measured every one
    ## of an MLP's 128 maps again and again (3.5 s for the figure, 1.3 s now).
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.55 / height, wspace=0.1, hspace=0.3)
    for ax in axes.flat:
        ax.axis("off")
    for j, ax in zip(range(units), axes.flat, strict=False):
        m = W[:, j].reshape(image_size, image_size)  # (28, 28)
        ## A symmetric scale keeps white at 0, so the colour alone says the weight's sign.
        limit = float(np.abs(m).max()) or 1.0
        ax.imshow(m, cmap="bwr", vmin=-limit, vmax=limit)
        ax.text(0.5, 1.03, titles[j], transform=ax.transAxes, ha="center", va="bottom", fontsize=8)
    fig.suptitle(title, y=1 - 0.1 / height, va="top")
    savefig(fig, path, dpi=100)
    return Path(path)


def first_layer_maps(net, model: str, run_dir: Path, classes: list[str]) -> str | None:
    """weights.png: the ten digit maps of softmax, or the first layer's units of an mlp (None for others)."""
    from nnzero.figures import figure_tr, figure_zh

    tr = figure_tr(figure_zh())  # the figure's title in a language its fonts can draw
    if model not in ("softmax", "mlp"):
        return None
    W = net.layers[1].params["W"]  # (784, units): layer 0 is Flatten
    if model == "softmax":
        titles = classes
        title = tr(
            "weight of every pixel for every class (red +, blue -)", "每个像素对每个类别的权重 (红 +, 蓝 -)"
        )
    else:
        W = W[:, :128]
        titles = [str(j) for j in range(W.shape[1])]
        title = tr("first-layer units (red +, blue -)", "第一层的神经元 (红 +, 蓝 -)")
    cols = 10 if model == "softmax" else 16
    return str(plot_weight_maps(W, Path(run_dir) / "weights.png", titles, cols=cols, title=title))
