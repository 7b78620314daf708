"""The sections of a run report, each ``(id, heading, body HTML)``, each from the files it needs.

A section whose files are missing says so in one line instead of failing the report.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from nnzero.evaluation.html import esc, figure_png, img, table, text
from nnzero.evaluation.runinfo import RunInfo
from nnzero.figures import figure_zh, pick


def _note(message: str) -> str:
    return f'<p class="note">{esc(message)}</p>'


def ids(document: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', document)


def overview(info: RunInfo, lang: str) -> str:
    facts = [
        (text(lang, "model", "模型"), info.model),
        (text(lang, "data set", "数据集"), info.dataset or "-"),
        (text(lang, "epochs", "轮数"), len(info.rows)),
        (text(lang, "best validation accuracy", "最佳验证准确率"), info.best_val_accuracy),
        *_kept(info, lang),
        (text(lang, "test accuracy", "测试准确率"), info.test_accuracy),
        (text(lang, "training time (s)", "训练时间 (秒)"), f"{info.seconds:.1f}"),
    ]
    return table([text(lang, "run", "运行"), info.name], [list(f) for f in facts])


def _kept(info: RunInfo, lang: str) -> list[tuple[str, str]]:
    """The row saying which epoch's weights best.pt holds and why (``--keep``), when best.pt says."""
    epoch, rule = info.kept
    if epoch is None:
        return []
    en, zh = {
        "accuracy": ("the best validation accuracy", "验证准确率最高"),
        "loss": ("the lowest validation loss", "验证损失最低"),
        "last": ("the last epoch", "最后一轮"),
    }.get(rule, (rule, rule))
    return [
        (
            text(lang, "weights tested (best.pt)", "测试用的权重 (best.pt)"),
            text(lang, f"epoch {epoch}: {en}", f"第 {epoch} 轮: {zh}"),
        )
    ]


def config(info: RunInfo, lang: str) -> tuple[str, str, str]:
    heading = text(lang, "Configuration", "配置")
    if not info.config:
        return (
            "config",
            heading,
            _note(text(lang, "no config.json in the run folder", "运行目录中没有 config.json")),
        )
    header = [text(lang, "setting", "设置"), text(lang, "value", "值")]
    groups = (
        info.config.items() if all(isinstance(v, dict) for v in info.config.values()) else [("", info.config)]
    )
    tables = [table(header, [[k, v] for k, v in _flatten(values, name)], left=2) for name, values in groups]
    return "config", heading, '<div class="side">' + "".join(tables) + "</div>"


def _flatten(obj, prefix: str = ""):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, obj


FULL_TABLE_ROWS = 40  # more layers than this: summarised by block


def summary(info: RunInfo, lang: str) -> tuple[str, str, str]:
    heading = text(lang, "Model summary", "模型结构")
    if info.checkpoint is None:
        return (
            "summary",
            heading,
            _note(
                text(
                    lang,
                    "no PyTorch checkpoint (best.pt) to describe",
                    "没有可描述的 PyTorch 检查点 (best.pt)",
                )
            ),
        )
    from nnzero.models import count_parameters, summarize
    from nnzero.models.committee import networks
    from nnzero.models.summary import BLOCK_DEPTH
    from nnzero.training.checkpoint import model_from_checkpoint

    whole = model_from_checkpoint(info.checkpoint)
    nets = networks(whole)  # a committee: its first member's layers, the whole committee's parameters
    model = nets[0]
    kwargs = info.checkpoint["model_kwargs"]
    shape = (kwargs["in_channels"], kwargs["image_size"], kwargs["image_size"])
    header = [
        text(lang, "layer", "层"),
        text(lang, "output shape", "输出形状"),
        text(lang, "parameters", "参数"),
    ]
    total = [text(lang, "total trainable parameters", "可训练参数总数"), "", count_parameters(whole)]
    full = [[name, str(out), params] for name, out, params in summarize(model, shape)]
    intro = f"<p>{esc(info.model)}, input {shape}</p>"
    if len(nets) > 1:
        intro += (
            "<p>"
            + esc(text(lang, "{n} members; the first one's layers:", "{n} 个成员; 第一个成员的各层:")).format(
                n=len(nets)
            )
            + "</p>"
        )
    if len(full) <= FULL_TABLE_ROWS:
        return "summary", heading, intro + table(header, full + [total], left=2)
    ## A pretrained backbone has ~100-150 layers: one row per block (torchinfo's depth), the rest folded away
    blocks = [[name, str(out), params] for name, out, params in summarize(model, shape, BLOCK_DEPTH)]
    folded = text(lang, "every layer ({n})", "全部 {n} 层").format(n=len(full))
    body = intro + table(header, blocks + [total], left=2)
    body += f"<details><summary>{esc(folded)}</summary>" + table(header, full, left=2) + "</details>"
    return "summary", heading, body


def curves(info: RunInfo, lang: str) -> tuple[str, str, str]:
    heading = text(lang, "Training curves: loss, accuracy, learning rate", "训练曲线: 损失、准确率、学习率")
    saved, csvs = info.run_dir / "curves.png", [info.run_dir / n for n in ("metrics.csv", "steps.csv")]
    if saved.exists() and all(not c.exists() or saved.stat().st_mtime >= c.stat().st_mtime for c in csvs):
        png = saved.read_bytes()  # the trainer has just drawn it
    elif info.rows or info.steps:
        from nnzero.callbacks.curves import label_smoothing, plot_curves

        held_out = "test" if info.config.get("engine") == "scratch" else "val"
        smoothing = label_smoothing(info.config)
        png = figure_png(lambda out: plot_curves(info.rows, out, info.name, info.steps, held_out, smoothing))
    else:
        return (
            "curves",
            heading,
            _note(text(lang, "no metrics.csv in the run folder", "运行目录中没有 metrics.csv")),
        )
    keys = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"]
    rows = [[int(r["epoch"])] + [r.get(k) for k in keys[1:]] for r in info.rows]
    return (
        "curves",
        heading,
        img(png, "curves", "curves-img") + _steps_note(info, lang) + table(keys, rows, left=0),
    )


def _steps_note(info: RunInfo, lang: str) -> str:
    """Where the lines come from: steps.csv's rows (the table below is metrics.csv's, one per epoch)."""
    if not info.steps:
        return ""
    from nnzero.callbacks.curves import every, label_smoothing

    note = text(
        lang,
        "Lines: steps.csv, the training loss, accuracy and learning rate every {k} steps ({n} rows); "
        "markers and the table: metrics.csv, validation at the end of each epoch.",
        "曲线: steps.csv, 每 {k} 步的训练损失、准确率和学习率 (共 {n} 行); "
        "标记点和下表: metrics.csv, 每轮结束时的验证结果。",
    ).format(k=every(info.steps), n=len(info.steps))
    smoothing = label_smoothing(info.config)
    if smoothing:
        note += ("" if lang == "zh" else " ") + text(
            lang,
            "The training loss is taken with label smoothing {s:g} (it cannot reach 0); "
            "the validation loss without.",
            "训练损失带有标签平滑 {s:g} (不可能降到 0); 验证损失不带。",
        ).format(s=smoothing)
    return _note(note)


def test_metrics(info: RunInfo, lang: str, note: str) -> tuple[str, str, str]:
    heading = text(lang, "Test metrics", "测试指标")
    ev = info.eval
    if not ev:
        why = note or text(lang, "the run has not been evaluated", "该运行尚未评估")
        accuracy = info.test_accuracy
        extra = f'<p class="big">{accuracy:.4f}</p>' if accuracy is not None else ""
        return "metrics", heading, extra + _note(why)
    lines = [
        f'<p class="big">{text(lang, "test accuracy", "测试准确率")}: {ev["test_accuracy"]:.4f}</p>',
        f"<p>{esc(text(lang, 'images', '图像数'))}: {ev.get('images', '-')}"
        + (f" · log-loss {ev['log_loss']:.4f}" if ev.get("log_loss") is not None else "")
        + (f" · ROC AUC {ev['roc_auc']:.4f}" if ev.get("roc_auc") is not None else "")
        + "</p>",
    ]
    if ev.get("sound"):  # whole clips, speakers heard and not (evaluation/sound_figures.py)
        from nnzero.evaluation.sound_figures import figure_lines

        lines += [f"<p>{esc(line)}</p>" for line in figure_lines(ev["sound"], lang)]
    header = [text(lang, "class", "类别"), "precision", "recall", "F1", text(lang, "support", "样本数")]
    rows = [
        [c, s["precision"], s["recall"], s["f1"], s["support"]] for c, s in ev.get("per_class", {}).items()
    ]
    return "metrics", heading, "".join(lines) + table(header, rows)


def confusion(info: RunInfo, eval_dir: Path, lang: str) -> tuple[str, str, str]:
    heading = text(lang, "Confusion matrix (rows: true, columns: predicted)", "混淆矩阵 (行: 真实, 列: 预测)")
    path = eval_dir / "confusion.png"
    if path.exists():
        return "confusion", heading, img(path.read_bytes(), "confusion matrix", "confusion-img")
    ev = info.eval or {}
    if ev.get("confusion_matrix") and ev.get("classes"):  # numbers without the picture: draw it
        from nnzero.evaluation.plots import plot_confusion

        matrix = np.array(ev["confusion_matrix"])
        png = figure_png(lambda out: plot_confusion(matrix, ev["classes"], out))
        return "confusion", heading, img(png, "confusion matrix", "confusion-img")
    return "confusion", heading, _note(text(lang, "no confusion matrix available", "没有混淆矩阵"))


def mistakes(eval_dir: Path, lang: str, rows: int = 12) -> tuple[str, str, str]:
    heading = text(lang, "Most confident mistakes", "最自信的错误")
    body = ""
    if (eval_dir / "mistakes.png").exists():
        body += img((eval_dir / "mistakes.png").read_bytes(), "most confident mistakes", "mistakes-img")
    if (eval_dir / "mistakes.csv").exists():
        with (eval_dir / "mistakes.csv").open(newline="", encoding="utf-8") as f:
            found = list(csv.DictReader(f))[:rows]
        header = [
            text(lang, "test image", "测试图像"),
            text(lang, "true", "真实"),
            text(lang, "predicted", "预测"),
            text(lang, "confidence", "置信度"),
        ]
        body += table(
            header, [[m["index"], m["true"], m["predicted"], float(m["confidence"])] for m in found], 3
        )
    return "mistakes", heading, body or _note(text(lang, "no mistakes recorded", "没有记录错误"))


def feature_maps(info: RunInfo, lang: str) -> tuple[str, str, str] | None:
    """The inspection sheet of the first test image: what each layer made of it."""
    if info.checkpoint is None:
        return None
    heading = text(
        lang, "Inside the network: one test image, layer by layer", "网络内部: 一张测试图像逐层的样子"
    )
    from nnzero.errors import NnzeroError
    from nnzero.evaluation.evaluate import test_set
    from nnzero.evaluation.inspect import inspect_image
    from nnzero.inference.predictor import Predictor

    try:
        data = test_set(info.checkpoint)
    except (NnzeroError, OSError) as e:
        return "features", heading, _note(str(e))
    predictor = Predictor(info.checkpoint, "cpu")
    label = info.checkpoint["classes"][int(data.labels[0])]
    zh = lang == "zh" and figure_zh(True)  ## drawn text is in one language, one its fonts can show
    caption = pick(f"test image #0 (true: {label})", f"测试图像 #0 (真实类别: {label})", zh)
    image = np.array(data.images[0])  # (C, H, W) a writable copy for torch
    png = figure_png(lambda out: inspect_image(predictor, image, out, max_channels=8, title=caption, zh=zh))
    return "features", heading, img(png, "feature maps", "features-img")


def other_figures(info: RunInfo, lang: str) -> tuple[str, str, str] | None:
    """Any other picture the run left in its folder (e.g. the NumPy engine's weights.png)."""
    pngs = sorted(p for p in info.run_dir.glob("*.png") if p.name != "curves.png")
    if not pngs:
        return None
    body = "".join(f"<h3>{esc(p.name)}</h3>" + img(p.read_bytes(), p.name) for p in pngs)
    return "other", text(lang, "Other figures", "其他图像"), body
