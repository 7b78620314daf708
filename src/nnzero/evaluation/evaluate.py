"""Evaluate a checkpoint on its test set: metrics, confusion matrix, and the images it got wrong."""

from __future__ import annotations

import csv
import time
from dataclasses import replace as dc_replace
from pathlib import Path

import numpy as np
import torch

from nnzero.config import from_dict
from nnzero.datasets import load_dataset
from nnzero.errors import DataError
from nnzero.evaluation import metrics
from nnzero.evaluation.coverage import check_can_tell, format_unknown, unknown_result
from nnzero.evaluation.plots import plot_confusion, plot_gallery
from nnzero.figures import figure_zh, pick
from nnzero.i18n import tr
from nnzero.models.committee import tta_spec
from nnzero.rundir import write_json
from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint
from nnzero.training.device import pick_device
from nnzero.training.loop import TensorData, predict_logits
from nnzero.unknown.features import collecting_features


def test_set(ckpt: dict, data_dir: str | None = None, dataset: str | None = None):
    """The held-out set the checkpoint's run was tested on (or the one named)."""
    data_cfg = from_dict(ckpt["config"])["data"] if ckpt.get("config") else None
    if data_cfg is None:
        from nnzero.config import DataConfig

        data_cfg = DataConfig(dataset=ckpt.get("dataset") or "mnist")
    changes = {k: v for k, v in (("data_dir", data_dir), ("dataset", dataset)) if v}
    return load_dataset(dc_replace(data_cfg, **changes), "test")


def check_same_classes(ckpt: dict, data) -> None:
    """DataError unless the test set's classes are the checkpoint's, in its order (a folder may have
    gained or lost a class folder since the run, e.g. a Teach project while it trained)."""
    found = list(getattr(data, "classes", None) or [])
    if found and found != list(ckpt["classes"]):
        raise DataError(
            tr(
                "the test set's classes ({found}) are not the checkpoint's ({known}): give --data-dir "
                "a folder with the same class folders",
                "测试集的类别 ({found}) 与检查点的类别 ({known}) 不同: 请用 --data-dir 指定类别文件夹相同的文件夹",
                found=", ".join(found)[:300],
                known=", ".join(ckpt["classes"])[:300],
            )
        )


def cached_features_rows(ckpt: dict, data) -> np.ndarray | None:
    """A frozen-backbone run's features (N, D) of ``data``'s photos from its cache, or None.

    ## The backbone of such a run is exactly the pretrained one, so its features of the test photos,
    ## cached while training (keyed by each photo's bytes), are what the network would compute
    ## again: only the last layer is left to apply. Anything missing: None, the network runs.
    """
    from nnzero.datasets.features import FeatureStore, content_keys

    info = (ckpt.get("metrics") or {}).get("features") or {}
    if not (info.get("frozen") and info.get("params") and info.get("cache_dir")) or not data.files:
        return None
    try:
        store = FeatureStore(Path(info["cache_dir"]), {**info["params"], "view": "photo"})
        rows, missing = store.lookup(content_keys(data.files))
    except OSError:
        return None
    return None if rows is None or len(missing) else rows


def cached_logits(ckpt: dict, model, data) -> torch.Tensor | None:
    """A frozen-backbone run's test logits from the features it cached (its head on them), or None."""
    if not hasattr(model, "head"):
        return None
    rows = cached_features_rows(ckpt, data)
    if rows is None:
        return None
    head = model.head()
    with torch.no_grad():
        return (torch.from_numpy(rows).to(head.weight.device) @ head.weight.T + head.bias).float()  # (N, C)


def evaluate_checkpoint(
    path: str | Path,
    *,
    data_dir: str | None = None,
    dataset: str | None = None,
    out_dir: str | Path | None = None,
    max_batches: int | None = None,
    top_mistakes: int = 32,
    device: str = "auto",
    logits: torch.Tensor | None = None,
    tta: str | None = None,
    unknown_dir: str | Path | None = None,
) -> dict:
    """Everything `nnzero evaluate` reports, as a dict; figures and mistakes.csv go to ``out_dir``.

    ``logits``: the checkpoint's outputs (N, classes) on this test set, already computed (by the
    training run that has just tested it); used only when there is one row for every test image.
    ``tta``: "shifts" or "none" instead of the test-time augmentation the checkpoint keeps.
    A committee's result also holds ``committee``: each member's score and how they voted.
    ``unknown_dir``: a folder of pictures that are none of the classes: the share answered "unknown"."""
    start = time.perf_counter()
    ckpt = load_checkpoint(path)
    check_can_tell(ckpt, unknown_dir)
    if tta is not None:  # another test-time augmentation than the checkpoint's
        ckpt["tta"] = tta_spec(tta)
    data = test_set(ckpt, data_dir, dataset)
    check_same_classes(ckpt, data)
    votes = None
    if len(ckpt["model_kwargs"].get("members") or ()) > 1:
        stored = (ckpt.get("metrics") or {}).get("votes")
        fresh = logits is None or tta is not None or data_dir or dataset
        logits, votes = (None, None) if fresh or not stored else (logits, stored)
        if logits is None:
            logits, votes = committee_logits(ckpt, data, device, max_batches)
    logits, features = _test_logits(ckpt, data, device, max_batches, logits)
    probs = torch.softmax(logits, 1).cpu().numpy()  # (N, classes)
    labels = data.labels[: len(probs)]
    predicted = probs.argmax(1)  # (N,)
    classes = ckpt["classes"]
    matrix = metrics.confusion_matrix(labels, predicted, len(classes))
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-probs[wrong, predicted[wrong]], kind="stable")]  # most confident first
    result = {
        "checkpoint": str(ckpt["path"]),
        "test_accuracy": metrics.accuracy(labels, predicted),
        "images": len(labels),
        "log_loss": metrics.log_loss(probs, labels),
        "per_class": {c: s for c, s in zip(classes, metrics.per_class(matrix))},
        "confusion_matrix": matrix.tolist(),
        "classes": classes,
        "mistakes": [
            {
                "index": int(i),
                "true": classes[labels[i]],
                "predicted": classes[predicted[i]],
                "confidence": round(float(probs[i, predicted[i]]), 4),
                **({"file": data.files[i]} if data.files else {}),
            }
            for i in wrong
        ],
    }
    if len(classes) == 2:
        result["roc_auc"] = metrics.roc_auc(probs[:, 1], labels)
    if data.kind == "sound" and not max_batches:  # whole clips, speakers, voices heard and not
        from nnzero.evaluation.sound_figures import sound_figures

        result["sound"] = sound_figures(ckpt, data, probs, lambda: _seen_set(ckpt, data_dir, device))
    if votes is not None:
        result["committee"] = votes
    if ckpt.get("unknown") and data.kind != "sound":  # "none of the classes": coverage (coverage.py)
        result["unknown"] = unknown_result(
            ckpt, data, probs, labels, features, device, max_batches, unknown_dir
        )
    if out_dir is not None:
        result["files"] = _write_outputs(Path(out_dir), result, data, wrong[:top_mistakes])
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


def committee_logits(ckpt: dict, data, device: str, max_batches: int | None) -> tuple[torch.Tensor, dict]:
    """A committee's log-probabilities (N, classes) on ``data``, and how its members voted."""
    from nnzero.models.committee import log_mean_prob, networks
    from nnzero.training.committee import member_log_probs, view_log_probs, vote_breakdown

    dev = pick_device(device)
    nets = networks(model_from_checkpoint({**ckpt, "tta": None}, dev))
    spec = ckpt.get("tta")
    tensors = TensorData.from_imageset(data, dev)
    views = view_log_probs(nets, tensors, spec["shifts"] if spec else [(0, 0)], 500, max_batches)
    members = member_log_probs(views, spec)  # (M, N, classes)
    labels = torch.as_tensor(data.labels[: members.shape[1]])
    return log_mean_prob(members), vote_breakdown(members, labels, list(ckpt["classes"]))


def _test_logits(ckpt: dict, data, device: str, max_batches: int | None, given) -> tuple:
    """The checkpoint's logits (N, classes) on ``data``: those ``given``, the cached features', or the
    network's; and, when the network ran, the features its last layer saw (else None)."""
    if given is not None and not max_batches and len(given) == len(data):
        return given.float(), None  # the training run has just computed them on these very images
    dev = pick_device(device)
    model = model_from_checkpoint(ckpt, dev)
    logits = None if max_batches else cached_logits(ckpt, model, data)
    if logits is not None:
        return logits, None
    with collecting_features(model) as seen:  # the whole network on every test image
        logits = predict_logits(model, TensorData.from_imageset(data, dev), 500, max_batches)  # (N, classes)
    return logits, torch.cat(seen).cpu() if seen else None


def _seen_set(ckpt: dict, data_dir: str | None, device: str):
    """(the speaker split's seen set: other speakers' takes 0-4, its probabilities), or None without one."""
    from nnzero.datasets.foldertree import MissingSplit
    from nnzero.datasets.sounds import load_sounds

    data_cfg = from_dict(ckpt["config"])["data"]
    try:
        seen = load_sounds(
            dc_replace(data_cfg, **({"data_dir": data_dir} if data_dir else {})), "seen", quiet=True
        )
    except MissingSplit:
        return None
    dev = pick_device(device)
    logits = predict_logits(model_from_checkpoint(ckpt, dev), TensorData.from_imageset(seen, dev), 500)
    return seen, torch.softmax(logits, 1).cpu().numpy()


def _write_outputs(out: Path, result: dict, data, top: np.ndarray) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "confusion": out / "confusion.png",
        "mistakes_png": out / "mistakes.png",
        "mistakes_csv": out / "mistakes.csv",
        "metrics": out / "metrics.json",
    }
    plot_confusion(
        np.array(result["confusion_matrix"]),
        result["classes"],
        files["confusion"],
        title=f"accuracy {result['test_accuracy']:.4f}",
    )
    captions = [
        f"#{m['index']} {m['true']}→{m['predicted']} {m['confidence']:.2f}" for m in result["mistakes"]
    ]
    plot_gallery(
        data.images[top],
        captions[: len(top)],
        files["mistakes_png"],
        title=pick(
            "most confident mistakes (true→predicted, confidence)",
            "最自信的错误 (真实→预测, 置信度)",
            figure_zh(),
        ),
    )
    with files["mistakes_csv"].open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(
            f, ["index", "true", "predicted", "confidence", "file"], extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(result["mistakes"])
    if result.get("committee"):
        from nnzero.evaluation.committee_view import draw_votes

        files |= draw_votes(result["committee"], data.images, out)
    write_json(files["metrics"], {k: v for k, v in result.items() if k != "mistakes"})
    return {k: str(v) for k, v in files.items()}


def format_report(result: dict, show_mistakes: int = 20) -> str:
    classes = result["classes"]
    width = max(6, max(len(c) for c in classes) + 1)
    lines = [
        tr(
            "test accuracy: {a:.4f} on {n} images (log-loss {l:.4f})",
            "测试准确率: {a:.4f}, 共 {n} 张 (对数损失 {l:.4f})",
            a=result["test_accuracy"],
            n=result["images"],
            l=result["log_loss"],
        )
    ]
    if "roc_auc" in result:
        lines.append(f"ROC AUC: {result['roc_auc']:.4f}")
    if result.get("sound"):
        from nnzero.evaluation.sound_figures import figure_lines

        lines += figure_lines(result["sound"])
    if result.get("committee"):
        from nnzero.evaluation.committee_view import votes_lines

        lines += votes_lines(result["committee"])
    lines += ["", f"{tr('class', '类别'):<{width}} precision  recall   f1      support"]
    for c, s in result["per_class"].items():
        lines.append(
            f"{c:<{width}} {s['precision']:.4f}     {s['recall']:.4f}   {s['f1']:.4f}  {s['support']}"
        )
    lines += ["", tr("confusion matrix (rows: true, columns: predicted)", "混淆矩阵 (行: 真实, 列: 预测)")]
    cell = max(5, max(len(str(v)) for row in result["confusion_matrix"] for v in row) + 1)
    lines.append(" " * width + "".join(f"{c[: cell - 1]:>{cell}}" for c in classes))
    for c, row in zip(classes, result["confusion_matrix"]):
        lines.append(f"{c:<{width}}" + "".join(f"{v:>{cell}}" for v in row))
    mistakes = result["mistakes"]
    lines += [
        "",
        tr("{n} misclassified; the most confident:", "{n} 张分类错误; 最自信的几张:", n=len(mistakes)),
        f"  {'index':>6}  {'true':<8}{'predicted':<10}confidence",
    ]
    for m in mistakes[:show_mistakes]:
        lines.append(f"  {m['index']:>6}  {m['true']:<8}{m['predicted']:<10}{m['confidence']:.4f}")
    if result.get("unknown"):
        lines += format_unknown(result["unknown"])
    if result.get("files"):
        lines += ["", tr("written: {f}", "已写入: {f}", f=", ".join(result["files"].values()))]
    return "\n".join(lines)
