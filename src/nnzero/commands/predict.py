"""`nnzero predict`: the top classes for your own pictures (a photo of a handwritten digit, a pet...).

nnzero predict runs/NAME/best.pt my_digit.jpg another.png
nnzero predict runs/NAME/best.pt photos/*.jpg --json --top 2
nnzero predict runs/NAME/best.pt digit.jpg --save-input seen.png   # what the network saw
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnzero.commands._common import add_command, add_dry_run, add_json, add_tta, emit_json
from nnzero.i18n import tr


def register(sub) -> None:
    p = add_command(
        sub,
        "predict",
        "predict the class of your own images with a trained checkpoint",
        "用训练好的检查点预测你自己的图像",
        [
            "nnzero predict runs/NAME/best.pt my_digit.jpg",
            "nnzero predict runs/NAME/best.pt *.png --json",
            "nnzero predict runs/NAME/best.pt my_digit.jpg --tta shifts",
        ],
        run,
    )
    p.add_argument("checkpoint", help=tr("a .pt file from `nnzero train`", "`nnzero train` 得到的 .pt 文件"))
    p.add_argument("images", nargs="+", help=tr("image files (JPEG, PNG, ...)", "图像文件 (JPEG、PNG 等)"))
    p.add_argument("--top", type=int, default=3, help=tr("how many classes to show", "显示前几个类别"))
    p.add_argument(
        "--save-input",
        metavar="PNG",
        help=tr("save the prepared input of the first image", "保存第一张图像预处理后的输入"),
    )
    p.add_argument("--device", default="auto")
    add_tta(p)
    add_json(p)
    add_dry_run(p)


def run(args) -> int:
    from nnzero.inference import load

    predictor = load(args.checkpoint, device=args.device, tta=args.tta)
    prepared, errors = predictor.prepare_files(args.images)
    probs = predictor.probabilities(np.stack(list(prepared.values()))) if prepared else []
    results = dict(zip(prepared, probs))
    if args.save_input and prepared and not args.dry_run:
        _save_input(next(iter(prepared.values())), Path(args.save_input))
    for name in args.images:
        if name in errors:
            line = {"file": name, "error": errors[name]}
            emit_json(line) if args.json else print(tr("error: {e}", "错误: {e}", e=errors[name]))
            continue
        top = predictor.top(results[name], args.top)
        if args.json:
            emit_json({"file": name, "top": top})
        else:
            print(f"{name}: " + ", ".join(f"{t['label']} {t['prob']:.4f}" for t in top))
    return 1 if errors and not prepared else 0


def _save_input(image: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(image[0] if image.shape[0] == 1 else np.transpose(image, (1, 2, 0))).save(path)
