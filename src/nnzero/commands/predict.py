"""`nnzero predict`: the top classes for your own pictures (a photo of a handwritten digit, a pet...) or sounds,
or "unknown" when a picture is none of them; and what the pretrained network itself recognises (--imagenet).

nnzero predict runs/NAME/best.pt my_digit.jpg another.png
nnzero predict runs/fsdd-soundcnn/best.pt my_seven.wav song.mp3   # a sound model: WAV, FLAC, OGG, MP3
nnzero predict runs/NAME/best.pt photos/*.jpg --json --top 2
nnzero predict runs/NAME/best.pt digit.jpg --save-input seen.png   # what the network saw
nnzero predict runs/NAME/best.pt cat.jpg --no-unknown               # always name one of the classes
nnzero predict --imagenet cat.jpg                                   # ImageNet's 1000 classes
nnzero predict export/model.onnx my_digit.jpg                       # an export: onnxruntime, no torch
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnzero.commands._common import (
    add_command,
    add_dry_run,
    add_json,
    add_precision,
    add_tta,
    emit_json,
    say,
)
from nnzero.i18n import lang, tr


def register(sub) -> None:
    p = add_command(
        sub,
        "predict",
        "predict the class of your own images with a trained checkpoint ('unknown' when none fits)",
        "用训练好的检查点预测你自己的图像 (都不像时回答'不确定')",
        [
            "nnzero predict runs/NAME/best.pt my_digit.jpg",
            "nnzero predict runs/NAME/best.pt *.png --json",
            "nnzero predict runs/NAME/best.pt my_digit.jpg --tta shifts   # averaged over 1-pixel shifts",
            "nnzero predict runs/NAME/best.pt my_photo.jpg --imagenet    # and the backbone's ImageNet classes",
            "nnzero predict --imagenet my_photo.jpg                      # what the pretrained network sees",
            "nnzero predict runs/pets/best.pt my_pet.jpg --precision bf16",
            "nnzero predict runs/NAME/onnx/model.onnx my_digit.jpg       # an export (nnzero export)",
            "nnzero predict runs/SOUND_RUN/best.pt my_clip.wav --save-input heard.png",
        ],
        run,
    )
    p.add_argument(
        "checkpoint",
        help=tr(
            "a .pt file from `nnzero train` (with --imagenet it may be left out), or a model.onnx from "
            "`nnzero export`",
            "`nnzero train` 得到的 .pt 文件 (使用 --imagenet 时可省略), 或 `nnzero export` 得到的 model.onnx",
        ),
    )
    p.add_argument(
        "images",
        nargs="*",
        help=tr(
            "image files (JPEG, PNG, ...), or sound files (WAV, FLAC, OGG, MP3) for a sound model",
            "图像文件 (JPEG、PNG 等), 声音模型则为声音文件 (WAV、FLAC、OGG、MP3)",
        ),
    )
    p.add_argument("--top", type=int, default=3, help=tr("how many classes to show", "显示前几个类别"))
    p.add_argument(
        "--no-unknown",
        action="store_true",
        help=tr(
            "always name one of the classes, even for a picture unlike all of them",
            "总是回答某个类别, 即使图像与所有类别都不像",
        ),
    )
    p.add_argument(
        "--imagenet",
        action="store_true",
        help=tr(
            "also show the pretrained backbone's own top ImageNet classes (efficientnet_lite models)",
            "同时显示预训练骨干网络自己识别的 ImageNet 类别 (efficientnet_lite 模型)",
        ),
    )
    p.add_argument(
        "--backbone",
        default="efficientnet_lite2",
        help=tr(
            "with --imagenet and no checkpoint: which pretrained network (default efficientnet_lite2)",
            "使用 --imagenet 且没有检查点时: 用哪个预训练网络 (默认 efficientnet_lite2)",
        ),
    )
    p.add_argument(
        "--save-input",
        metavar="PNG",
        help=tr("save the prepared input of the first image", "保存第一张图像预处理后的输入"),
    )
    p.add_argument("--device", default="auto")
    add_precision(p)
    add_tta(p)
    add_json(p)
    add_dry_run(p)


def run(args) -> int:
    from nnzero.errors import NnzeroError

    predictor, images, imagenet_only = _predictor(args)
    if not images:
        raise NnzeroError(tr("no image files given", "没有给出图像文件"))
    prepared, errors = predictor.prepare_files(images)
    imagenet = args.top if args.imagenet else 0
    results = predictor.answer_files(prepared, args.top, not args.no_unknown, imagenet)
    if args.save_input and prepared and not args.dry_run:
        first = next(iter(prepared.values()))
        _save_input(first[0] if predictor.is_sound else first, Path(args.save_input))
    if predictor.is_sound and not args.json:
        _say_windows(prepared, predictor.spec["audio"])
    for name in images:
        if name in errors:
            line = {"file": name, "error": errors[name]}
            emit_json(line) if args.json else print(tr("error: {e}", "错误: {e}", e=errors[name]))
            continue
        answer = results[name]
        if args.json:
            emit_json(_json_line(name, answer, imagenet_only))
        else:
            print(_text_line(name, answer, imagenet_only, predictor))
    return 1 if errors and not prepared else 0


def _say_windows(prepared: dict, audio: dict) -> None:
    """Long clips are judged window by window: say so, with how many windows each clip gave."""
    long = {name: len(p) for name, p in prepared.items() if len(p) > 1}
    if long:
        print(
            tr(
                "clips longer than {s:g} s are cut into windows, half overlapping, and their probabilities "
                "averaged: {w}",
                "长于 {s:g} 秒的片段被切成一半重叠的窗口, 概率取平均: {w}",
                s=audio["seconds"],
                w=", ".join(f"{name} ({n})" for name, n in long.items()),
            )
        )


def _predictor(args):
    """(the Predictor, the image files, ImageNet only?): ``--imagenet`` without a checkpoint uses the
    pretrained backbone itself, and the first argument is then an image too. An exported model.onnx
    runs on onnxruntime: torch is never imported."""
    path = Path(args.checkpoint)
    if path.suffix == ".onnx" or (path / "model.onnx").is_file():
        from nnzero.errors import NnzeroError
        from nnzero.inference.onnx_predictor import OnnxPredictor

        if args.tta is not None:  # the export's graph holds the checkpoint's own test-time shifts
            raise NnzeroError(
                tr(
                    "--tta needs a .pt checkpoint: an export keeps the test-time augmentation it was exported with",
                    "--tta 需要 .pt 检查点: 导出的模型保留导出时的测试时增强",
                )
            )
        return OnnxPredictor(path), list(args.images), False
    from nnzero.inference import load
    from nnzero.inference.predictor import Predictor

    def note(message: str) -> None:  # the precision's note (on stderr under --json)
        say(args, message)

    if args.imagenet and not (path.suffix == ".pt" or path.is_dir()):
        from nnzero.models.imagenet import imagenet_checkpoint

        return (
            Predictor(imagenet_checkpoint(args.backbone), args.device, args.precision, note),
            [args.checkpoint, *args.images],
            True,
        )
    predictor = load(args.checkpoint, device=args.device, precision=args.precision, tta=args.tta, say=note)
    return predictor, list(args.images), False


def _json_line(name: str, answer: dict, imagenet_only: bool) -> dict:
    if imagenet_only:
        return {"file": name, "imagenet": answer["imagenet"]}
    if "unknown" not in answer:  # --no-unknown, or a checkpoint that cannot tell: the answer as before
        return {"file": name, "top": answer["top"]} | (
            {"imagenet": answer["imagenet"]} if "imagenet" in answer else {}
        )
    return {"file": name, **answer}


def _text_line(name: str, answer: dict, imagenet_only: bool, predictor) -> str:
    imagenet = ""
    if "imagenet" in answer:
        key = "label_zh" if lang() == "zh" else "label"
        shown = ", ".join(f"{t[key]} {t['prob']:.4f}" for t in answer["imagenet"])
        if imagenet_only:
            return f"{name}: ImageNet: {shown}"
        imagenet = "\n  " + tr(
            "ImageNet (the pretrained backbone): {s}", "ImageNet (预训练骨干网络): {s}", s=shown
        )
    top = ", ".join(f"{t['label']} {t['prob']:.4f}" for t in answer["top"])
    if answer.get("unknown"):
        line = tr(
            "unknown: like none of the classes (similarity {s:.3f} < threshold {t:.3f}); closest: {top}",
            "不确定: 与所有类别都不像 (相似度 {s:.3f} < 阈值 {t:.3f}); 最接近: {top}",
            s=answer["score"],
            t=predictor.unknown.threshold,
            top=top,
        )
        return f"{name}: {line}{imagenet}"
    return f"{name}: {top}{imagenet}"


def _save_input(image: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(image[0] if image.shape[0] == 1 else np.transpose(image, (1, 2, 0))).save(path)
