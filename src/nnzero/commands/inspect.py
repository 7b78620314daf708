"""`nnzero inspect`: see inside a trained network: what every layer made of one image, as one PNG sheet.

nnzero inspect runs/NAME/best.pt my_digit.png
nnzero inspect runs/NAME/best.pt my_digit.png --out sheet.png --max-channels 24
nnzero inspect runs/NAME/best.pt cat.jpg --json      # layer names, shapes, probabilities
"""

from __future__ import annotations

import io
from pathlib import Path

from nnzero.commands._common import add_command, add_dry_run, add_json, emit_json, say
from nnzero.i18n import tr


def register(sub) -> None:
    p = add_command(
        sub,
        "inspect",
        "draw what a trained network does with one image: feature maps, filters, activations, probabilities",
        "画出训练好的网络如何处理一张图像: 特征图、卷积核、激活值、概率",
        [
            "nnzero inspect runs/NAME/best.pt my_digit.png",
            "nnzero inspect runs/NAME/best.pt my_digit.png --out sheet.png --json",
        ],
        run,
    )
    p.add_argument("checkpoint", help=tr("a .pt file from `nnzero train`", "`nnzero train` 得到的 .pt 文件"))
    p.add_argument("image", help=tr("an image file (PNG, JPEG, ...)", "图像文件 (PNG、JPEG 等)"))
    p.add_argument(
        "--out",
        help=tr(
            "where to write the PNG sheet (default: IMAGE-inspect.png beside the image)",
            "PNG 输出路径 (默认: 图像旁的 IMAGE-inspect.png)",
        ),
    )
    p.add_argument(
        "--max-channels",
        type=int,
        default=16,
        help=tr("feature maps drawn per conv layer (default 16)", "每个卷积层最多画几个特征图 (默认 16)"),
    )
    p.add_argument(
        "--device", default="cpu", help=tr("cpu (default), auto, cuda, mps", "cpu (默认), auto, cuda, mps")
    )
    add_json(p)
    add_dry_run(p)


def run(args) -> int:
    from nnzero.evaluation.inspect import inspect_image, open_prepared
    from nnzero.inference.predictor import Predictor

    predictor = Predictor.from_checkpoint(args.checkpoint, args.device)
    image = open_prepared(predictor, args.image)  # (C, H, W) uint8
    image_path = Path(args.image)
    out = Path(args.out) if args.out else image_path.with_name(image_path.stem + "-inspect.png")
    target = io.BytesIO() if args.dry_run else out
    info = inspect_image(
        predictor, image, target, max_channels=max(1, args.max_channels), title=image_path.name
    )
    info = {
        "checkpoint": str(args.checkpoint),
        "image": str(image_path),
        "out": None if args.dry_run else str(out),
        **info,
    }
    if args.dry_run:
        info["dry_run"] = True
    if args.json:
        emit_json(info)
        return 0
    pred = info["prediction"]
    say(args, tr("prediction: {c} ({p:.2%})", "预测: {c} ({p:.2%})", c=pred["label"], p=pred["prob"]))
    for layer in info["conv_layers"]:
        say(args, f"  {layer['name']:<28} {tuple(layer['shape'])}")
    for layer in info["dense_layers"]:
        say(args, f"  {layer['name']:<28} ({layer['units']},)")
    if not args.dry_run:
        say(
            args,
            tr(
                "written: {f} ({w}x{h})", "已写入: {f} ({w}x{h})", f=out, w=info["size"][0], h=info["size"][1]
            ),
        )
    return 0
