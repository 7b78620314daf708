"""Small image-processing steps the digit preparation needs, in NumPy: no SciPy, no OpenCV.

Paper level under uneven light, Otsu's threshold, connected components (which blobs are the digit),
stroke width and dilation. Arrays are float32 (h, w) grey images or bool masks.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

GRID = 16  # the paper level is estimated on a 16x16 grid of cells: light changes slowly, ink does not
OPENING = 5  # cells: a blob of ink up to 4 cells wide is ignored when estimating the paper
KEEP_NEAR, KEEP_INSIDE = 0.05, 0.02  # a blob is kept if this big (of the largest) near / inside the digit
NEAR = 0.25  # "near": within this fraction of the digit's size from it
BORDER = 0.03  # the ring of border pixels that is paper on a photo of a digit: 3% of the shorter side
PAPER_PERCENTILE = 20  # per grid cell: paper is lighter than ink, so a low percentile of a cell is paper
SMALL_SIDE = 64  # below this many pixels a picture is a scan or an export: one paper level for all of it


def border(grey: np.ndarray) -> np.ndarray:
    """The pixels of a ring about 3% wide around the image: on a photo of a digit, they are paper."""
    ring = max(1, round(BORDER * min(grey.shape)))
    return np.concatenate(
        [grey[:ring].ravel(), grey[-ring:].ravel(), grey[:, :ring].ravel(), grey[:, -ring:].ravel()]
    )


def background_level(grey: np.ndarray) -> np.ndarray | float:
    """The paper's brightness at every pixel (ink is bright, paper dark): shadows and gradients.

    A low percentile per grid cell, then a grey-level opening over cells (min then max filter) removes
    cells filled with ink, then bilinear interpolation back to full size.
    """
    height, width = grey.shape
    if min(height, width) < SMALL_SIDE:  # a tiny image is a scan or an export, not a photo with shadows
        return float(np.median(border(grey)))
    cell = int(np.ceil(max(height, width) / GRID))
    rows, cols = -(-height // cell), -(-width // cell)
    padded = np.pad(grey, ((0, rows * cell - height), (0, cols * cell - width)), mode="edge")
    cells = padded.reshape(rows, cell, cols, cell).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    level = np.percentile(cells, PAPER_PERCENTILE, axis=2).astype(np.float32)  # (rows, cols)
    level = _filter(_filter(level, OPENING, np.minimum), OPENING, np.maximum)
    smooth = Image.fromarray(level, "F").resize(
        (width, height), Image.Resampling.BILINEAR, box=(0, 0, width / cell, height / cell)
    )
    return np.asarray(smooth)  # (h, w)


def _filter(values: np.ndarray, size: int, pick) -> np.ndarray:
    """np.minimum or np.maximum over a size x size window (edges repeated), one axis at a time.

    The window grows by doubling (1, 2, 4, ... pixels), so a wide window costs log2(size) passes.
    """
    half = size // 2
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (half, size - 1 - half)
        values = np.pad(values, pad, mode="edge")
        covered = 1  # values[i] now holds the pick over `covered` pixels starting at i
        while covered < size:
            step = min(covered, size - covered)
            n = values.shape[axis] - step
            values = pick(values.take(range(0, n), axis=axis), values.take(range(step, step + n), axis=axis))
            covered += step
    return values


def otsu(values: np.ndarray) -> float:
    """Otsu's threshold: the histogram split into two classes with the largest between-class variance."""
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return hi
    counts, edges = np.histogram(values, bins=256, range=(lo, hi))
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts)  # pixels at or below each bin
    mass = np.cumsum(counts * centres)
    total, total_mass = weight[-1], mass[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_low = mass / weight
        mean_high = (total_mass - mass) / (total - weight)
        between = weight * (total - weight) * (mean_low - mean_high) ** 2
    return float(edges[int(np.nanargmax(between[:-1])) + 1])


def components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """8-connected blobs of a bool mask, found run by run (the classic two-pass labelling).

    Returns runs (n, 3) as (row, start, end), the blob number of each run (n,), and each blob's box
    (blobs, 4) as (top, left, bottom, right), bottom/right exclusive.
    """
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # same order: row by row, left to right
    runs = np.stack([rows, starts, ends], axis=1)  # (n, 3)
    parent = list(range(len(runs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first = np.searchsorted(rows, np.arange(mask.shape[0] + 1))  # runs of row r: first[r]:first[r+1]
    for r in range(1, mask.shape[0]):
        above, here = range(first[r - 1], first[r]), range(first[r], first[r + 1])
        j = 0
        for i in here:  ## runs touch (diagonals too) when they overlap after widening by one pixel
            while j < len(above) and ends[above[j]] < starts[i]:
                j += 1
            k = j
            while k < len(above) and starts[above[k]] <= ends[i]:
                parent[root(above[k])] = root(i)
                k += 1
    roots = np.array([root(i) for i in range(len(runs))], dtype=np.int64)
    _, blob = np.unique(roots, return_inverse=True)
    n = int(blob.max()) + 1 if len(blob) else 0
    boxes = np.stack(
        [np.full(n, mask.shape[0]), np.full(n, mask.shape[1]), np.zeros(n, int), np.zeros(n, int)], 1
    )
    np.minimum.at(boxes[:, 0], blob, rows)
    np.minimum.at(boxes[:, 1], blob, starts)
    np.maximum.at(boxes[:, 2], blob, rows + 1)
    np.maximum.at(boxes[:, 3], blob, ends)
    return runs, blob, boxes


def digit_mask(mask: np.ndarray) -> np.ndarray:
    """The blobs that make up the digit: the largest, and those big enough and near enough to it."""
    runs, blob, boxes = components(mask)
    if len(runs) == 0:
        return mask
    sizes = np.bincount(blob, weights=runs[:, 2] - runs[:, 1])  # pixels per blob
    order = np.argsort(-sizes)
    keep = np.zeros(len(sizes), dtype=bool)
    keep[order[0]] = True
    top, left, bottom, right = boxes[order[0]]
    for b in order[1:]:
        gap = max(boxes[b, 0] - bottom, top - boxes[b, 2], boxes[b, 1] - right, left - boxes[b, 3], 0)
        reach = NEAR * max(bottom - top, right - left)
        small = sizes[b] / sizes[order[0]]
        if (gap == 0 and small >= KEEP_INSIDE) or (0 < gap <= reach and small >= KEEP_NEAR):
            keep[b] = True
            top, left = min(top, boxes[b, 0]), min(left, boxes[b, 1])
            bottom, right = max(bottom, boxes[b, 2]), max(right, boxes[b, 3])
    change = np.zeros((mask.shape[0], mask.shape[1] + 1), dtype=np.int32)  # +1 at run start, -1 at its end
    kept = runs[keep[blob]]
    np.add.at(change, (kept[:, 0], kept[:, 1]), 1)
    np.add.at(change, (kept[:, 0], kept[:, 2]), -1)
    return np.cumsum(change, axis=1)[:, :-1] > 0


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a bool mask: 2 x area / perimeter (a stroke w wide and L long: 2wL / 2L)."""
    area = mask.sum()
    padded = np.pad(mask, 1)
    perimeter = (padded[1:] != padded[:-1]).sum() + (padded[:, 1:] != padded[:, :-1]).sum()
    return float(2 * area / perimeter) if perimeter else 0.0


def dilate(ink: np.ndarray, radius: int) -> np.ndarray:
    """Grey dilation by a (2r+1)-square, on an array padded by r so strokes at the edge can grow."""
    padded = np.pad(ink, radius)  # (h + 2r, w + 2r)
    return _filter(padded, 2 * radius + 1, np.maximum) if radius > 0 else padded
