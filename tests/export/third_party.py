"""A third party's program: an nnzero export used with Pillow, NumPy and onnxruntime, and nothing of nnzero.

    python third_party.py EXPORT_DIR photo.jpg ...     # one JSON line per picture: {"file", "top1", "probs"}

Written from preprocess.json's words alone (its "steps", with their constants), as someone porting an
export to their own program would; tests/export/test_third_party.py runs it with nnzero made unimportable
and compares its answers with `nnzero predict`'s.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import onnxruntime
from PIL import Image, ImageOps


def decode(path: str, channels: int) -> Image.Image:
    """Decode, turn upright (EXIF), composite transparency on white, then grey ("L") or RGB."""
    image = ImageOps.exif_transpose(Image.open(path))
    if image.mode in ("RGBA", "LA", "PA", "P") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return image.convert("L" if channels == 1 else "RGB")


def photo(image: Image.Image, doc: dict) -> np.ndarray:
    size = doc["size"][0]
    if doc["kind"] == "resize":
        image = image.resize((size, size), Image.Resampling.BILINEAR)
    else:
        w, h = image.size
        if max(w, h) > 16 * min(w, h):  # keep only the middle 16 squares of a thin strip
            keep, cut = 16 * min(w, h), (max(w, h) - 16 * min(w, h)) // 2
            image = image.crop((cut, 0, cut + keep, h) if w > h else (0, cut, w, cut + keep))
            w, h = image.size
        new = (size, int(size * h / w)) if w <= h else (int(size * w / h), size)
        image = image.resize(new, Image.Resampling.BILINEAR)
        left, top = round((new[0] - size) / 2), round((new[1] - size) / 2)
        image = image.crop((left, top, left + size, top + size))
    a = np.asarray(image, np.uint8)
    return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)


# ---- the digit steps ----
def ring(a: np.ndarray, fraction: float) -> np.ndarray:
    r = max(1, round(fraction * min(a.shape)))
    return np.concatenate([a[:r].ravel(), a[-r:].ravel(), a[:, :r].ravel(), a[:, -r:].ravel()])


def window(a: np.ndarray, size: int, pick) -> np.ndarray:
    """pick (np.minimum / np.maximum) over size x size windows, edges repeated: every shift, one by one."""
    half = size // 2
    padded = np.pad(a, ((half, size - 1 - half), (half, size - 1 - half)), mode="edge")
    out = padded[: a.shape[0], : a.shape[1]].copy()
    for dy in range(size):
        for dx in range(size):
            out = pick(out, padded[dy : dy + a.shape[0], dx : dx + a.shape[1]])
    return out


def paper_level(grey: np.ndarray, s: dict, border: float):
    h, w = grey.shape
    if min(h, w) < s["min_side"]:
        return float(np.median(ring(grey, border)))
    cell = math.ceil(max(h, w) / s["grid"])
    rows, cols = -(-h // cell), -(-w // cell)
    padded = np.pad(grey, ((0, rows * cell - h), (0, cols * cell - w)), mode="edge")
    cells = padded.reshape(rows, cell, cols, cell).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    level = np.percentile(cells, s["percentile"], axis=2).astype(np.float32)
    level = window(window(level, s["opening"], np.minimum), s["opening"], np.maximum)
    box = (0, 0, w / cell, h / cell)
    return np.asarray(Image.fromarray(level, "F").resize((w, h), Image.Resampling.BILINEAR, box=box))


def stretch(flat: np.ndarray, s: dict) -> np.ndarray:
    counts, edges = np.histogram(flat, bins=s["bins"], range=(float(flat.min()), float(flat.max())))
    centres = (edges[:-1] + edges[1:]) / 2
    n0, m0 = np.cumsum(counts), np.cumsum(counts * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = n0 * (n0[-1] - n0) * (m0 / n0 - (m0[-1] - m0) / (n0[-1] - n0)) ** 2
    t = edges[int(np.nanargmax(score[:-1])) + 1]
    paper = float(np.median(flat[flat < t])) if (flat < t).any() else 0.0
    ink = float(np.percentile(flat[flat >= t], s["ink_percentile"]))
    if ink - paper < s["min_contrast"]:
        return np.zeros_like(flat)
    low = paper + s["ramp_start"] * (ink - paper)
    return np.clip((flat - low) / (ink - low), 0.0, 1.0)


def blobs(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components by union-find over the ink pixels: (label image, count)."""
    ys, xs = np.nonzero(mask)
    index = -np.ones(mask.shape, int)
    index[ys, xs] = np.arange(len(ys))
    parent = list(range(len(ys)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (y, x) in enumerate(zip(ys, xs)):
        for dy, dx in ((0, -1), (-1, -1), (-1, 0), (-1, 1)):
            yy, xx = y + dy, x + dx
            if 0 <= yy < mask.shape[0] and 0 <= xx < mask.shape[1] and index[yy, xx] >= 0:
                parent[find(index[yy, xx])] = find(i)
    roots = np.array([find(i) for i in range(len(ys))], int)
    _, labels = np.unique(roots, return_inverse=True)
    image = -np.ones(mask.shape, int)
    image[ys, xs] = labels
    return image, int(labels.max()) + 1 if len(labels) else 0


def keep_digit(ink: np.ndarray, s: dict) -> np.ndarray:
    labels, n = blobs(ink > 0)
    if n == 0:
        return ink
    sizes = np.bincount(labels[labels >= 0], minlength=n)
    boxes = []
    for b in range(n):
        ys, xs = np.nonzero(labels == b)
        boxes.append((ys.min(), xs.min(), ys.max() + 1, xs.max() + 1))
    order = sorted(range(n), key=lambda b: (-sizes[b], b))
    keep = {order[0]}
    top, left, bottom, right = boxes[order[0]]
    for b in order[1:]:
        t, l, bt, r = boxes[b]
        gap = max(t - bottom, top - bt, l - right, left - r, 0)
        near = s["near"] * max(bottom - top, right - left)
        share = sizes[b] / sizes[order[0]]
        if (gap == 0 and share >= s["keep_inside"]) or (0 < gap <= near and share >= s["keep_near"]):
            keep.add(b)
            top, left, bottom, right = min(top, t), min(left, l), max(bottom, bt), max(right, r)
    return ink * np.isin(labels, list(keep))


def bbox(a: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(a)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def digit(image: Image.Image, steps: dict) -> np.ndarray:
    s = {step["step"]: step for group in steps.values() if isinstance(group, list) for step in group}
    scale = s["shrink"]["max_side"] / max(image.size)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BOX)
    grey = np.asarray(image, np.float32)
    edge = float(np.median(ring(grey, s["invert"]["border"])))
    lo, hi = np.percentile(grey, s["invert"]["percentiles"])
    if hi - edge < edge - lo:
        grey = 255.0 - grey
    ink = stretch(grey - paper_level(grey, s["flatten"], s["invert"]["border"]), s["stretch"])
    ink = keep_digit(ink, s["keep_digit"])
    left, top, right, bottom = bbox(ink)
    m = s["crop"]["margin"]
    ink = np.pad(ink[top:bottom, left:right], m)
    t = s["thicken"]
    scale = s["fit"]["box"] / max(bottom - top, right - left)
    mask = np.pad(ink >= t["mask_at"], 1)
    width = 2 * mask.sum() / ((mask[1:] != mask[:-1]).sum() + (mask[:, 1:] != mask[:, :-1]).sum())
    if width * scale < t["thin"]:
        r = int((t["stroke"] / scale - width) / 2)
        ink = window(np.pad(ink, r), 2 * r + 1, np.maximum) if r > 0 else ink
    left, top, right, bottom = bbox(ink)
    scale = s["fit"]["box"] / max(bottom - top, right - left)
    size = (max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale)))
    patch = Image.fromarray(ink.astype(np.float32), "F").resize(
        size, Image.Resampling.LANCZOS, box=(left, top, right, bottom)
    )
    patch = np.clip(np.asarray(patch), 0.0, 1.0)
    c, n = s["centre"]["centre"], s["centre"]["size"]
    mass = patch.sum()
    cy = patch.sum(axis=1) @ np.arange(patch.shape[0]) / mass
    cx = patch.sum(axis=0) @ np.arange(patch.shape[1]) / mass
    y = int(np.clip(round(c - cy), 0, n - patch.shape[0]))
    x = int(np.clip(round(c - cx), 0, n - patch.shape[1]))
    out = np.zeros((n, n), np.float32)
    out[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
    return np.rint(out * 255).astype(np.uint8)[None]


def main(folder: str, files: list[str]) -> None:
    doc = json.loads((Path(folder) / "preprocess.json").read_text(encoding="utf-8"))
    session = onnxruntime.InferenceSession(
        str(Path(folder) / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    mean = np.asarray(doc["mean"], np.float32).reshape(-1, 1, 1)
    std = np.asarray(doc["std"], np.float32).reshape(-1, 1, 1)
    for file in files:
        image = decode(file, doc["channels"])
        pixels = digit(image, doc["steps"]) if doc["kind"] == "digit" else photo(image, doc)
        x = ((pixels.astype(np.float32) / 255 - mean) / std)[None]  # (1, C, H, W)
        probs = session.run(["probabilities"], {"image": x})[0][0]
        print(
            json.dumps({"file": file, "top1": doc["classes"][int(probs.argmax())], "probs": probs.tolist()})
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
