"""A Kaggle "Dogs vs. Cats" submission: one row ``id,label`` per test photo, label = P(dog).

## Kaggle scores the file by log-loss, -mean(y log p + (1 - y) log(1 - p)): a confident
## wrong answer (p = 0.0001 for a dog) costs 9.2, a shrug (p = 0.5) costs 0.69. Clipping
## every probability into [0.005, 0.995] caps a single mistake at 5.3 while costing a
## right answer at most 0.005: a good trade when even a good model makes a few mistakes.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from nnzero.errors import NnzeroError
from nnzero.i18n import tr

BAD_FILE_P = (
    0.5  # the row a photo that cannot be decoded gets: 0.5 risks the least (log-loss 0.69 either way)
)
DEFAULT_CLIP = 0.005


def positive_index(classes: list[str], positive: str | None = None) -> int:
    """Which output is the probability Kaggle wants: the class named ``positive``, else 'dog'/'dogs'."""
    names = [c.lower() for c in classes]
    wanted = [positive.lower()] if positive else ["dog", "dogs"]
    for w in wanted:
        if w in names:
            return names.index(w)
    raise NnzeroError(
        tr(
            "the checkpoint's classes are {c}: none is {w}; name the class whose probability to write with --positive",
            "检查点的类别是 {c}, 其中没有 {w}; 请用 --positive 指定要写出哪个类别的概率",
            c=", ".join(classes),
            w=" / ".join(wanted),
        )
    )


def probabilities(
    predictor, images: np.ndarray, index: int, tta: bool = False, batch: int = 256
) -> np.ndarray:
    """P(class ``index``) for uint8 photos (N, C, H, W); with ``tta`` the mean over each photo and its mirror image."""
    out = []
    for start in range(0, len(images), batch):
        x = np.asarray(images[start : start + batch])  # (B, C, H, W)
        p = predictor.probabilities(x)[:, index]  # (B,)
        if tta:
            ## Test-time augmentation: a cat is a cat in the mirror too; averaging the two
            ## views cancels part of the model's errors.
            p = (p + predictor.probabilities(x[..., ::-1])[:, index]) / 2
        out.append(p)
    return np.concatenate(out) if out else np.zeros(0)  # (N,)


def clip_probabilities(p: np.ndarray, clip: float) -> np.ndarray:
    if not 0 <= clip < 0.5:
        raise NnzeroError(
            tr("--clip must be in [0, 0.5), got {c}", "--clip 必须在 [0, 0.5) 之间, 而不是 {c}", c=clip)
        )
    return np.clip(p, clip, 1 - clip)


def sorted_rows(ids: list[int], files: list[str], p: np.ndarray) -> list[tuple[int, str, float]]:
    """(id, file, probability), sorted by id (then file name, when a labelled folder repeats ids)."""
    return sorted(zip(ids, files, (float(v) for v in p)), key=lambda r: (r[0], r[1]))


def write_submission(path: str | Path, rows: list[tuple[int, str, float]]) -> Path:
    path = Path(path)
    if path.parent != Path(""):
        path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["id", "label"])
        for i, _, p in rows:
            writer.writerow([i, f"{p:.6g}"])
    return path


def binary_log_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Kaggle's score: mean of -(y log p + (1 - y) log(1 - p)), p clipped to [1e-15, 1 - 1e-15] as Kaggle does."""
    p = np.clip(np.asarray(p, np.float64), 1e-15, 1 - 1e-15)
    y = np.asarray(y, np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
