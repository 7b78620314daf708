"""One PNG sheet of what a trained network does with one image (``nnzero inspect``).

From top to bottom: the prepared input and the final probabilities; the first conv
layer's filters (in colour for photo models), or for an MLP the first dense layer's
weights drawn as images; the feature maps of every conv layer; the activations of every
dense layer, ending with the logits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnzero.evaluation.activations import Inspection, capture, describe, shown_channels
from nnzero.evaluation.plots import plt, use_cjk_font
from nnzero.figures import figure_text as tr  # drawn text: Chinese only with a CJK font

WIDTH_IN, DPI, COLS = 12, 100, 16  # the sheet is 1200 pixels wide; grids have 16 columns


def open_prepared(predictor, path: str | Path) -> np.ndarray:
    """The image file prepared exactly as the network's training data: uint8 (C, H, W)."""
    from nnzero.datasets.images import open_image

    return predictor.prepare(open_image(path))


def inspect_image(predictor, image: np.ndarray, out, *, max_channels: int = 16, title: str = "") -> dict:
    """Capture, draw to ``out`` (a path or a binary file), and return what was drawn (JSON-ready)."""
    result = capture(predictor, image, max_maps=2 * COLS)
    info = describe(result, max_channels)
    info["size"] = draw_sheet(result, out, max_channels=max_channels, title=title)
    return info


def draw_sheet(result: Inspection, out, *, max_channels: int = 16, title: str = "") -> list[int]:
    """Draw the sheet; returns its [width, height] in pixels."""
    use_cjk_font()
    panels = [(2.8, lambda fig: _header(fig, result, title))]
    panels += _first_layer_panels(result)
    for layer in result.conv_layers:
        shown = shown_channels(layer, max_channels)
        caption = tr(
            "{name}: feature maps {shape}; {k} of {c} channels, most active first",
            "{name}: 特征图 {shape}; 显示 {c} 个通道中最活跃的 {k} 个",
            name=layer.name,
            shape=tuple(layer.values.shape),
            k=len(shown),
            c=len(layer.values),
        )
        maps = [(layer.values[c], f"ch {c}") for c in shown]
        panels.append(_grid(maps, caption, _stretch("viridis")))
    dense = result.dense_layers
    for i, layer in enumerate(dense):
        last = i == len(dense) - 1
        panels.append((1.9, lambda fig, layer=layer, last=last: _bars(fig, result, layer, last)))
    heights = [h for h, _ in panels]
    fig = plt.figure(figsize=(WIDTH_IN, sum(heights)), dpi=DPI)
    for sub, (_h, draw) in zip(np.atleast_1d(fig.subfigures(len(panels), 1, height_ratios=heights)), panels):
        draw(sub)
    size = [int(round(v * DPI)) for v in fig.get_size_inches()]
    fig.savefig(out, dpi=DPI, format="png")
    plt.close(fig)
    return size


def _show(ax, image: np.ndarray, **kwargs) -> None:
    """A (C, H, W) or (H, W) array as a picture; C == 3 in colour."""
    if image.ndim == 3 and image.shape[0] == 3:
        ax.imshow(np.transpose(image, (1, 2, 0)))
    else:
        ax.imshow(image.reshape(image.shape[-2:]), **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])


def _header(fig, result: Inspection, title: str) -> None:
    grid = fig.add_gridspec(1, 2, width_ratios=[1, 3], top=0.8, bottom=0.12, left=0.05, right=0.95)
    left, right = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    _show(left, result.image, cmap="gray", vmin=0, vmax=255)
    left.set_title(
        tr("input as the network saw it {s}", "网络看到的输入 {s}", s=tuple(result.image.shape)), fontsize=9
    )
    order = np.argsort(-result.probs)[:10][::-1]  # the top 10, largest at the top
    colors = ["tab:orange" if i == order[-1] else "tab:blue" for i in order]
    right.barh([result.classes[i] for i in order], result.probs[order], color=colors)
    right.set_xlim(0, 1)
    right.set_title(tr("probabilities (softmax of the logits)", "概率 (logits 经 softmax)"), fontsize=9)
    for y, i in enumerate(order):
        right.text(min(result.probs[i] + 0.01, 0.9), y, f"{result.probs[i]:.4f}", va="center", fontsize=8)
    top = order[-1]
    fig.suptitle(
        f"{title}  {result.model_name}: "
        + tr("predicted {c} ({p:.1%})", "预测为 {c} ({p:.1%})", c=result.classes[top], p=result.probs[top]),
        fontsize=11,
    )


def _first_layer_panels(result: Inspection) -> list:
    if result.filters is not None:
        filters = result.filters[: 4 * COLS]  # (out, in, k, k)
        filters = _rgb01(filters) if filters.shape[1] == 3 else filters[:, :1]  # colour, or the first input
        items = [(f, f"{i}") for i, f in enumerate(filters)]
        caption = tr(
            "first conv layer's filters ({name}, {shape}){extra}",
            "第一个卷积层的卷积核 ({name}, {shape}){extra}",
            name=result.filters_layer,
            shape=tuple(result.filters.shape),
            extra="" if filters.shape[1] in (1, 3) else tr(", first input channel", ", 第一个输入通道"),
        )
        return [_grid(items, caption, _stretch("gray"))]
    if result.weight_maps is None:
        return []
    output_layer = len(result.dense_layers) == 1  # softmax regression: one map per class
    names = [result.classes[u] if output_layer else f"#{u}" for u in result.weight_maps_units]
    ## Red pixels raise the unit's output when they are inked, blue ones lower it.
    caption = tr(
        "first dense layer's weights as {h}x{w} images ({name}; red +, blue -), most active units first",
        "第一个全连接层的权重, 画成 {h}x{w} 的图 ({name}; 红为正, 蓝为负), 最活跃的单元在前",
        h=result.weight_maps.shape[-2],
        w=result.weight_maps.shape[-1],
        name=result.weight_maps_layer,
    )
    maps = result.weight_maps  # (units, C, H, W)
    items = list(zip(_rgb01(maps) if maps.shape[1] == 3 else maps, names))
    return [_grid(items, caption, _stretch("RdBu_r", symmetric=True))]


def _rgb01(images: np.ndarray) -> np.ndarray:
    """Colour weights (N, 3, H, W) each stretched to 0..1, so that their colours show."""
    low = images.min(axis=(1, 2, 3), keepdims=True)
    return (images - low) / np.maximum(images.max(axis=(1, 2, 3), keepdims=True) - low, 1e-12)


def _grid(items: list, caption: str, colour) -> tuple:
    """A panel of small images with captions, drawn as one mosaic (one Axes is much faster than 64).

    ``colour(image)`` maps one (H, W) array to RGB (H, W, 3) in 0..1; (3, H, W) images are RGB already.
    """
    rows = max(1, -(-len(items) // COLS))
    h, w = items[0][0].shape[-2:]
    gap, top = max(1, w // 10), max(2, int(np.ceil(0.25 * h)))  # between tiles; room for a label above
    mosaic = np.ones((rows * (h + top), COLS * (w + gap), 3))  # (rows*(h+top), COLS*(w+gap), 3), white
    for n, (image, _label) in enumerate(items):
        r, c = divmod(n, COLS)
        rgb = image.ndim == 3 and image.shape[0] == 3
        tile = np.transpose(image, (1, 2, 0)) if rgb else colour(image.reshape(h, w))
        mosaic[r * (h + top) + top : (r + 1) * (h + top), c * (w + gap) : c * (w + gap) + w] = tile

    def draw(fig):
        height = 0.45 + 0.8 * rows
        ax = fig.add_axes((0.02, 0.02, 0.96, 1 - 0.5 / height))  # below the panel's title
        ax.imshow(mosaic, interpolation="nearest")
        ax.set_anchor("N")  # keep the tiles right under the title
        ax.axis("off")
        for n, (_image, label) in enumerate(items):
            r, c = divmod(n, COLS)
            ax.text(
                c * (w + gap) + w / 2, r * (h + top) + top - 0.5, label, ha="center", va="bottom", fontsize=6
            )
        fig.suptitle(caption, fontsize=9)

    return (0.45 + 0.8 * rows, draw)


def _stretch(cmap: str, symmetric: bool = False):
    """Colour one map on its own scale: 0..max (or -max..max, 0 white, when ``symmetric``)."""
    import matplotlib

    table = matplotlib.colormaps[cmap]

    def colour(image: np.ndarray) -> np.ndarray:
        if symmetric:
            scaled = 0.5 + image / (2 * max(float(np.abs(image).max()), 1e-12))
        else:
            low = float(image.min())
            scaled = (image - low) / max(float(image.max()) - low, 1e-12)
        return table(scaled)[..., :3]  # (H, W, 3)

    return colour


def _bars(fig, result: Inspection, layer, last: bool) -> None:
    ax = fig.add_subplot(fig.add_gridspec(1, 1, top=0.82, bottom=0.16, left=0.05, right=0.98)[0])
    values = layer.values
    ax.bar(range(len(values)), values, color=np.where(values > 0, "tab:blue", "tab:gray"), width=0.8)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_xlim(-0.6, len(values) - 0.4)
    if last and len(values) == len(result.classes):
        ax.set_xticks(range(len(values)), result.classes, fontsize=7)
        text = tr(
            "{name}: logits, one per class (softmax turns them into the probabilities)",
            "{name}: logits, 每类一个 (softmax 把它们变成概率)",
            name=layer.name,
        )
    else:
        ax.tick_params(labelsize=7)
        text = tr(
            "{name}: activations of {n} units", "{name}: {n} 个单元的激活值", name=layer.name, n=len(values)
        )
    ax.set_title(text, fontsize=9)
