"""`nnzero export`: a trained model as files that run anywhere: ONNX, or a web page with no server.

nnzero export runs/NAME/best.pt --out mnist-onnx            # model.onnx, preprocess.json, labels, card
nnzero export runs/NAME/best.pt --format web --out site/    # + index.html: open it from disk
nnzero predict mnist-onnx/model.onnx my_digit.jpg           # check the export with onnxruntime
"""

from __future__ import annotations

from pathlib import Path

from nnzero.commands._common import add_command, add_dry_run, add_json, emit_json, say
from nnzero.i18n import tr


def register(sub) -> None:
    p = add_command(
        sub,
        "export",
        "export a trained model to ONNX (and a web page that runs it offline), checked to predict the same",
        "把训练好的模型导出为 ONNX (以及离线运行它的网页), 并检验预测结果一致",
        [
            "nnzero export runs/NAME/best.pt --out mnist-onnx",
            "nnzero export runs/NAME/best.pt --format web --out mnist-web   # then open mnist-web/index.html",
            "nnzero export runs/NAME --format web --ort-dir node_modules/onnxruntime-web --out site",
            "nnzero predict mnist-onnx/model.onnx my_digit.jpg",
        ],
        run,
    )
    p.add_argument(
        "checkpoint",
        help=tr(
            "a .pt checkpoint, a run folder, or a NumPy-engine model.npz",
            ".pt 检查点、运行目录或 NumPy 引擎的 model.npz",
        ),
    )
    p.add_argument(
        "--format",
        choices=("onnx", "web"),
        default="onnx",
        help=tr(
            "onnx: model.onnx + preprocess.json + labels.txt + MODEL_CARD.md; web: the same and index.html",
            "onnx: model.onnx + preprocess.json + labels.txt + MODEL_CARD.md; web: 另加 index.html 网页",
        ),
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help=tr(
            "folder to write (default: FORMAT beside the checkpoint, e.g. runs/NAME/onnx)",
            "输出文件夹 (默认: 检查点旁边的 FORMAT 文件夹, 如 runs/NAME/onnx)",
        ),
    )
    p.add_argument(
        "--ort-dir",
        metavar="DIR",
        help=tr(
            "web: a local copy of onnxruntime-web (its dist/ folder, the npm package or its .tgz) "
            "instead of downloading it",
            "web: 使用本地的 onnxruntime-web (其 dist/ 文件夹、npm 包或 .tgz), 不下载",
        ),
    )
    p.add_argument(
        "--npm-registry",
        metavar="URL",
        action="append",
        help=tr(
            "web: npm registry to download onnxruntime-web from, tried in order (default: "
            "registry.npmjs.org, then registry.npmmirror.com; or NNZERO_NPM_REGISTRY)",
            "web: 下载 onnxruntime-web 的 npm 仓库, 按顺序尝试 (默认: registry.npmjs.org, "
            "然后 registry.npmmirror.com; 或设置 NNZERO_NPM_REGISTRY)",
        ),
    )
    p.add_argument(
        "--check",
        type=int,
        default=32,
        metavar="N",
        help=tr(
            "real images on which onnxruntime must agree with PyTorch (default 32)",
            "检验 onnxruntime 与 PyTorch 一致所用的真实图像数 (默认 32)",
        ),
    )
    add_json(p)
    add_dry_run(p)


def default_out(checkpoint: str, fmt: str) -> Path:
    source = Path(checkpoint)
    return (source if source.is_dir() else source.parent) / fmt


def run(args) -> int:
    from nnzero.export import export_model

    out = Path(args.out) if args.out else default_out(args.checkpoint, args.format)
    web = {"ort_dir": args.ort_dir, "registries": args.npm_registry}
    result = export_model(
        args.checkpoint, out, args.format, dry_run=args.dry_run, check=args.check, web_options=web
    )
    if args.json:
        emit_json(result)
        return 0
    check, seconds = result["check"], result["seconds"]
    say(
        args,
        tr(
            "checked: onnxruntime and PyTorch agree on {n} real images (top-1 {s}/{n}, max |dp| {d:.1e})",
            "已检验: onnxruntime 与 PyTorch 在 {n} 张真实图像上一致 (top-1 {s}/{n}, 概率最大差 {d:.1e})",
            n=check["images"], s=check["same_top1"], d=check["max_abs_diff"],
        ),
    )  # fmt: skip
    if args.dry_run:
        say(
            args,
            tr(
                "dry run: nothing written ({t:.1f} s)",
                "试运行: 没有写入文件 ({t:.1f} 秒)",
                t=seconds["total"],
            ),
        )
        return 0
    say(args, tr("wrote {out}/ in {t:.1f} s: {files}", "已写入 {out}/, 用时 {t:.1f} 秒: {files}",
                 out=out, t=seconds["total"], files=", ".join(result["files"])))  # fmt: skip
    say(
        args,
        tr(
            "try it: nnzero predict {m} {p}",
            "试一试: nnzero predict {m} {p}",
            m=out / "model.onnx",
            p="my_digit.jpg" if result["kind"] == "digit" else "my_photo.jpg",
        ),
    )
    if args.format == "web":
        say(
            args,
            tr(
                "open {p} in a browser (no server needed)",
                "用浏览器打开 {p} (不需要服务器)",
                p=out / "index.html",
            ),
        )
    return 0
