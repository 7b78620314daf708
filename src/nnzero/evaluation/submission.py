"""A Kaggle "Dogs vs. Cats" submission: one row ``id,label`` per test photo, label = P(dog).

    result = make_submission("runs/NAME/best.pt", "~/dogs-vs-cats/test1", out="submission.csv", tta=True)

## Kaggle scores the file by log-loss, -mean(y log p + (1 - y) log(1 - p)): a confident
## wrong answer (p = 0.0001 for a dog) costs 9.2, a shrug (p = 0.5) costs 0.69. Clipping
## every probability into [c, 1 - c] caps a single mistake at -log(c) while costing a right
## answer at most c: a good trade when even a good model makes a few mistakes. The clip
## is the one the run chose on its validation photos (stored in the checkpoint); older
## checkpoints without one get 0.005.

Rows are sorted by id (the number in the file name). A photo that cannot be decoded still
gets its row, with 0.5, and is listed. When the photos are labelled (cat.<n>.jpg, or class
folders), the submission's log-loss and accuracy are computed too.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from nnzero.errors import NnzeroError
from nnzero.evaluation.metrics import binary_log_loss
from nnzero.i18n import tr

BAD_FILE_P = (
    0.5  # the row a photo that cannot be decoded gets: 0.5 risks the least (log-loss 0.69 either way)
)
DEFAULT_CLIP = 0.005  # for checkpoints that chose none on validation
DRY_RUN_PHOTOS = 16


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


def probabilities(predictor, images: np.ndarray, index: int, tta: bool = False) -> np.ndarray:
    """P(class ``index``) for uint8 photos (N, C, H, W); with ``tta`` the mean over each photo and its mirror image."""
    ## Test-time augmentation: a cat is a cat in the mirror too; averaging the two views cancels part
    ## of the model's errors.
    views = predictor.view_probabilities(images, ("photo", "mirror") if tta else ("photo",))
    return np.mean([p[:, index] for p in views.values()], axis=0) if len(images) else np.zeros(0)  # (N,)


def clip_probabilities(p: np.ndarray, clip: float) -> np.ndarray:
    if not 0 <= clip < 0.5:
        raise NnzeroError(
            tr("--clip must be in [0, 0.5), got {c}", "--clip 必须在 [0, 0.5) 之间, 而不是 {c}", c=clip)
        )
    return np.clip(p, clip, 1 - clip)


def checkpoint_clip(ckpt: dict) -> float:
    """The clip the run chose on validation, else DEFAULT_CLIP."""
    chosen = (ckpt.get("metrics") or {}).get("calibration", {}).get("clip")
    return float(chosen) if chosen is not None else DEFAULT_CLIP


def sorted_rows(ids: list[int], files: list[str], p: np.ndarray) -> list[tuple[int, str, float]]:
    """(id, file, probability), sorted by id (then file name, when a labelled folder repeats ids)."""
    return sorted(zip(ids, files, (float(v) for v in p)), key=lambda r: (r[0], r[1]))


def write_submission(path: str | Path, rows: list[tuple[int, str, float]]) -> Path:
    """The CSV, written to a temporary name and renamed (never half a file)."""
    path = Path(path)
    if path.parent != Path(""):
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["id", "label"])
        for i, _, p in rows:
            writer.writerow([i, f"{p:.6g}"])
    os.replace(tmp, path)
    return path


def _decode_few(test_dir, size: int):
    """--dry-run: the first photos only, decoded directly (no cache written)."""
    from nnzero.datasets.layouts import find_photos
    from nnzero.datasets.photos import decode_photo

    listing = find_photos(test_dir)
    images, kept, skipped = [], [], []
    for i, f in enumerate(listing.files[:DRY_RUN_PHOTOS]):
        try:
            images.append(decode_photo(os.path.join(listing.root, f), size))
            kept.append(i)
        except NnzeroError as e:
            skipped.append((f, str(e)))
    listing.files, listing.labels = listing.files[:DRY_RUN_PHOTOS], listing.labels[:DRY_RUN_PHOTOS]
    stack = np.stack(images) if images else np.zeros((0, 3, size, size), np.uint8)  # (n, 3, S, S)
    return listing, stack, np.array(kept, np.int64), skipped


def _ids(listing) -> list[int]:
    from nnzero.datasets.layouts import photo_id

    ids = [photo_id(os.path.basename(f)) for f in listing.files]
    if None in ids:
        raise NnzeroError(
            tr(
                "{n} file(s) have no number in their name to use as the id, e.g. {f}",
                "{n} 个文件名中没有可作为 id 的数字, 例如 {f}",
                n=ids.count(None),
                f=listing.files[ids.index(None)],
            )
        )
    return ids


def make_submission(
    checkpoint,
    test_dir,
    *,
    out="submission.csv",
    clip: float | None = None,
    tta: bool | str | None = None,
    positive: str | None = None,
    device: str = "auto",
    precision: str = "auto",
    dry_run: bool = False,
    quiet: bool = False,
    say=None,
) -> dict:
    """Predict every photo of ``test_dir`` and write the CSV (not on a dry run); returns what was done.
    ``precision``: fp32, bf16 or auto (bf16 where the device has bfloat16 hardware).
    ``tta``: True or "mirror" averages each photo and its mirror image; "shifts" or "none" replace
    the test-time augmentation the checkpoint keeps (None: keep it)."""
    from nnzero.datasets.photos import read_photos
    from nnzero.inference.predictor import Predictor

    mirror = tta in (True, "mirror")
    keeps = tta if tta in ("shifts", "none") else None
    predictor = Predictor.from_checkpoint(checkpoint, device, precision, say, keeps)
    if predictor.spec.get("kind") != "photos":
        raise NnzeroError(
            tr(
                "{c} was trained on {k}, not photos; submit needs a model trained on photos",
                "{c} 是在 {k} 上训练的, 不是照片; submit 需要在照片上训练的模型",
                c=checkpoint,
                k=predictor.spec.get("kind"),
            )
        )
    index = positive_index(predictor.classes, positive)
    clip = checkpoint_clip(predictor.checkpoint) if clip is None else clip
    size = predictor.spec["size"]
    if dry_run:
        listing, images, kept, skipped = _decode_few(test_dir, size)
    else:
        load = read_photos(test_dir, size, quiet=quiet)
        listing, images, kept, skipped = load.listing, load.images, load.kept, load.skipped
    p = np.full(len(listing.files), BAD_FILE_P)  # (N,) rows of undecodable photos stay at 0.5
    p[kept] = probabilities(predictor, images, index, mirror)
    p = clip_probabilities(p, clip)
    ids = _ids(listing)
    rows = sorted_rows(ids, listing.files, p)
    result = {
        "rows": len(rows),
        "photos_decoded": int(len(kept)),
        "skipped": [{"file": f, "why": why} for f, why in skipped],
        "bad_file_label": BAD_FILE_P,
        "clip": clip,
        "tta": "mirror" if mirror else (predictor.checkpoint.get("tta") or {}).get("name", False),
        "precision": predictor.precision,
        "positive": predictor.classes[index],
        "out": None if dry_run else str(write_submission(out, rows)),
        "dry_run": bool(dry_run),
        "first_rows": [[i, q] for i, _, q in rows[:3]],
    }
    if len(set(ids)) < len(ids):
        result["repeated_ids"] = len(ids) - len(set(ids))
    if listing.labelled:
        y = (np.asarray(listing.labels) == listing.classes.index(predictor.classes[index])).astype(
            float
        )  # (N,)
        result["log_loss"] = round(binary_log_loss(p, y), 5)
        result["accuracy"] = round(float(((p > 0.5) == (y > 0.5)).mean()), 5)
    return result
