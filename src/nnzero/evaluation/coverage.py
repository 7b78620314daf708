"""How a checkpoint's "unknown" answer does: on its test set (coverage, accuracy of what it answers, the
whole trade-off) and on a folder of pictures that are none of its classes (the share it rejects).

    unknown_result(ckpt, data, probs, labels, features, "cpu", None, "not_flowers/")

## Coverage is the share of known test pictures the model still answers; below the threshold it
## says "unknown" instead. Raising the threshold answers fewer pictures: the ones it keeps are
## usually the easier ones, so accuracy on them rises. The curve shows the whole trade-off, and
## where the threshold (chosen on training and validation pictures for 95% coverage) sits on it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nnzero.errors import DataError
from nnzero.i18n import tr
from nnzero.unknown import Unknown

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff"}
MAX_FOLDER_IMAGES = 5000  # --unknown-dir reads at most this many pictures (bounded time and memory)
CURVE_POINTS = 41


def unknown_result(ckpt, data, probs, labels, features, device, max_batches, unknown_dir=None) -> dict:
    """Threshold, test coverage, accuracy of the answered and of all, the accuracy-coverage curve;
    with ``unknown_dir``, the share of its pictures answered "unknown"."""
    unknown = Unknown.from_dict(ckpt["unknown"])
    if unknown is None:
        return {"note": "this checkpoint's unknown score is of a kind this nnzero does not read"}
    if features is None:
        features = _test_features(ckpt, data, device, max_batches)
    scores = unknown.scores(features)  # (N,)
    right = probs.argmax(1) == labels
    answered = scores >= unknown.threshold
    out = unknown.describe() | {
        "test_coverage": round(float(answered.mean()), 4),
        "test_accuracy_answered": round(float(right[answered].mean()), 4) if answered.any() else None,
        "test_accuracy_all": round(float(right.mean()), 4),
        "curve": accuracy_coverage(scores, right),
    }
    if unknown_dir is not None:
        out["folder"] = folder_result(ckpt, unknown_dir, device, max_batches)
    return out


def check_can_tell(ckpt: dict, unknown_dir) -> None:
    """``--unknown-dir`` needs a checkpoint that can answer "unknown": say so before any work."""
    if unknown_dir is None or Unknown.from_dict(ckpt.get("unknown")) is not None:
        return
    if len(ckpt.get("model_kwargs", {}).get("members") or ()) > 1:
        raise DataError(
            tr(
                "{p} is a committee: it always names a class (its members see pictures differently, so "
                "there is no one feature space to say 'unknown' in); evaluate one member's best.pt "
                "(members/<i>/best.pt) with --unknown-dir instead",
                "{p} 是一个委员会: 它总是回答某个类别 (各成员看图像的方式不同, 没有一个共同的特征空间来判断'不确定'); "
                "请对某个成员的 best.pt (members/<i>/best.pt) 使用 --unknown-dir",
                p=ckpt.get("path", "checkpoint"),
            )
        )
    raise DataError(
        tr(
            "{p} cannot answer 'unknown' (trained by an older nnzero, or with train.unknown_coverage=0): "
            "train it again to measure --unknown-dir",
            "{p} 不能回答'不确定' (由旧版 nnzero 训练, 或设置了 train.unknown_coverage=0): 请重新训练后再用 --unknown-dir",
            p=ckpt.get("path", "checkpoint"),
        )
    )


def accuracy_coverage(scores: np.ndarray, right: np.ndarray, points: int = CURVE_POINTS) -> list[list[float]]:
    """[[coverage, accuracy of the answered], ...]: the pictures answered most confidently first."""
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(right[order])  # right answers among the n best-scored
    out = []
    for c in np.linspace(1.0, 0.0, points)[:-1]:
        n = max(1, int(round(c * len(scores))))
        out.append([round(n / len(scores), 4), round(float(hits[n - 1] / n), 4)])
    return out


def _test_features(ckpt, data, device, max_batches) -> torch.Tensor:
    """The test pictures' features: the frozen backbone's cached rows, else the network run again."""
    from nnzero.evaluation.evaluate import cached_features_rows
    from nnzero.training.checkpoint import model_from_checkpoint
    from nnzero.training.device import pick_device
    from nnzero.training.loop import TensorData, predict_logits
    from nnzero.unknown.features import collecting_features

    rows = None if max_batches else cached_features_rows(ckpt, data)
    if rows is not None:
        return torch.from_numpy(rows)
    dev = pick_device(device)
    model = model_from_checkpoint(ckpt, dev)
    with collecting_features(model) as seen:
        predict_logits(model, TensorData.from_imageset(data, dev), 500, max_batches)
    return torch.cat(seen).cpu()


def folder_pictures(folder) -> list[Path]:
    """The pictures in ``folder`` and below it, sorted, at most MAX_FOLDER_IMAGES."""
    root = Path(folder)
    if not root.is_dir():
        raise DataError(tr("{d}: no such folder", "{d}: 文件夹不存在", d=root))
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(tr("{d} holds no pictures", "{d} 中没有图片", d=root))
    return files[:MAX_FOLDER_IMAGES]


def folder_result(ckpt, folder, device, max_batches, batch: int = 32) -> dict:
    """The share of the folder's pictures answered "unknown", and the labels given to the others."""
    from nnzero.inference.predictor import Predictor

    predictor = Predictor(ckpt, device)
    files = folder_pictures(folder)[: batch if max_batches else None]
    flags, named, errors = [], {}, 0
    for i in range(0, len(files), batch):
        prepared, failed = predictor.prepare_files([str(f) for f in files[i : i + batch]])
        errors += len(failed)
        if prepared:
            for a in predictor.answer(np.stack(list(prepared.values())), 1):
                flags.append(a.get("unknown", False))
                if not a.get("unknown"):
                    named[a["label"]] = named.get(a["label"], 0) + 1
    return {
        "folder": str(folder),
        "images": len(flags),
        "unreadable": errors,
        "rejected": round(float(np.mean(flags)), 4) if flags else None,
        "answered_as": dict(sorted(named.items(), key=lambda kv: -kv[1])),
    }


def format_unknown(u: dict) -> list[str]:
    """The lines `nnzero evaluate` prints about the unknown answer."""
    if "threshold" not in u:
        return [u.get("note", "")]
    chosen = {
        "k": u["k"],
        "t": u["threshold"],
        "c": u["coverage"],
        "n": u["calibration"],
        "how": u["chosen_on"],
    }
    answered = u["test_accuracy_answered"]
    test = {
        "a": u["test_coverage"],
        "x": "-" if answered is None else f"{answered:.4f}",
        "y": u["test_accuracy_all"],
    }
    lines = [
        "",
        tr(
            "unknown answer: when the similarity to the k-th nearest known picture (k = {k}) is below {t:.4f} "
            "(chosen for {c:.0%} coverage on {n} known pictures, {how})",
            "不确定: 与第 k 近的已知图像 (k = {k}) 的相似度低于 {t:.4f} 时回答 (按 {c:.0%} 覆盖率在 {n} 张已知图像上选定, {how})",
            **chosen,
        ),
        tr(
            "test pictures answered: {a:.2%}; accuracy of those answered {x}, of all {y:.4f}",
            "测试图像中回答的比例: {a:.2%}; 回答部分的准确率 {x}, 全部的准确率 {y:.4f}",
            **test,
        ),
    ]
    f = u.get("folder")
    if f and f["images"]:
        named = ", ".join(f"{k} {v}" for k, v in f["answered_as"].items()) or "-"
        lines.append(
            tr(
                "{d}: {r:.2%} of {n} pictures answered unknown; the others as: {named}",
                "{d}: {n} 张图像中 {r:.2%} 回答不确定; 其余回答为: {named}",
                **{"d": f["folder"], "r": f["rejected"], "n": f["images"], "named": named},
            )
        )
    return lines
