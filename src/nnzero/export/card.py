"""labels.txt and MODEL_CARD.md (English, then Chinese): what an exported model is, in words.

A model card (Mitchell et al. 2019) says what a model was trained on, how well it did, what it is for,
the licence of its data and how to prepare its input: everything a person needs before using the file,
taken from the checkpoint alone.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from nnzero import __version__

## what nnzero knows of the data sets it names; a folder of your own photos says its own licence
_LICENCES = {
    "mnist": ("MNIST (LeCun, Cortes, Burges): free for research; usually cited as CC BY-SA 3.0",
              "MNIST (LeCun, Cortes, Burges): 可自由用于研究; 通常标注为 CC BY-SA 3.0"),
    "fashion-mnist": ("Fashion-MNIST (Zalando Research): MIT licence", "Fashion-MNIST (Zalando Research): MIT 许可"),
    "catsdogs": ("Kaggle \"Dogs vs. Cats\": the competition's terms allow non-commercial research use only",
                 "Kaggle \"Dogs vs. Cats\": 比赛条款只允许非商业研究用途"),
}  # fmt: skip
_USE = {
    "digit": ("reading one handwritten digit, 0-9, from a photo, a scan or a drawing; not a whole number "
              "or a form: cut each digit out first", "识别照片、扫描件或手写板上的单个手写数字 (0-9); 不能直接"
              "识别整串数字或表格: 先把每个数字单独裁出来"),
    "photo": ("sorting photos into the classes above, in a classroom or a prototype; it answers one of its "
              "classes for any photo, even one of something else", "在课堂或原型中把照片分到上面的类别; "
              "无论照片内容是什么, 它都会回答其中一个类别"),
}  # fmt: skip


_PREPARATION = {
    "digit": ("nnzero's digit preparation (grey, invert to white ink on black, remove shadows, keep the digit, "
              "crop, fit 20x20, centre by mass in 28x28): every step in preprocess.json",
              "nnzero 的数字预处理 (灰度、反色为黑底白字、去除阴影、保留数字、裁剪、缩放到 20x20、按质心放入 "
              "28x28 中央): 每一步都写在 preprocess.json 里"),
    "photo": ("shorter side to {resize} ({interpolation}), centre crop {size}",
              "短边缩放到 {resize} ({interpolation}), 中心裁剪 {size}"),
    "resize": ("resized straight to {size} ({interpolation})", "直接缩放到 {size} ({interpolation})"),
}  # fmt: skip


def write_labels(path: Path, classes: list[str]) -> None:
    """One class name a line, in the order of the model's outputs."""
    path.write_text("".join(f"{c}\n" for c in classes), encoding="utf-8")


def _data_licence(ckpt: dict) -> tuple[str, str]:
    """The data's licence: a known data set's, else the first line of a LICENSE file in its folder."""
    name = str(ckpt.get("dataset") or "")
    if name in _LICENCES:
        return _LICENCES[name]
    folder = (ckpt.get("config") or {}).get("data", {}).get("data_dir")
    for candidate in ("LICENSE.txt", "LICENSE", "LICENCE.txt", "README.md"):
        path = Path(folder or "/nonexistent") / candidate
        if path.is_file():
            first = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[0][:200]
            return f"{candidate} of the data: {first}", f"数据的 {candidate}: {first}"
    return ("not recorded: your own data; state its licence here before you share the model",
            "未记录: 这是你自己的数据; 分享模型前请在这里写明其许可")  # fmt: skip


def _metrics_lines(metrics: dict) -> list[str]:
    keys = [
        k for k in ("test_accuracy", "test_loss", "test_log_loss", "val_accuracy", "epoch") if k in metrics
    ]
    return [
        f"- {k}: {metrics[k]:.4f}" if isinstance(metrics[k], float) else f"- {k}: {metrics[k]}" for k in keys
    ]


def model_card(ckpt: dict, doc: dict, check: dict, graph: dict) -> str:
    """The card's Markdown: the same facts in English and in Chinese."""
    metrics = _metrics_lines(ckpt.get("metrics") or {}) or ["  - (none recorded)"]
    licence_en, licence_zh = _data_licence(ckpt)
    use_en, use_zh = _USE["digit" if doc["kind"] == "digit" else "photo"]
    size = "x".join(str(s) for s in doc["size"])
    fields = {"resize": doc["resize"], "interpolation": doc["interpolation"], "size": size}
    prep_en, prep_zh = (text.format(**fields) for text in _PREPARATION[doc["kind"]])
    classes = ", ".join(doc["classes"])
    date = datetime.date.today().isoformat()
    parity = (f"onnxruntime against PyTorch on {check['images']} real images: same top-1 on all, "
              f"max |probability difference| {check['max_abs_diff']:.2e}")  # fmt: skip
    return f"""# Model card: {ckpt["model_name"]} ({ckpt.get("dataset") or "?"})

[中文](#模型卡片)

- Model: `{ckpt["model_name"]}`, exported by nnzero {__version__} on {date} to ONNX opset {graph["opset"]}
- Trained on: {ckpt.get("dataset") or "?"}, {len(doc["classes"])} classes: {classes}
- Test metrics (from the checkpoint; chosen on validation data, scored once on test data):
{chr(10).join(metrics)}
- Intended use: {use_en}. It is a teaching model: check it on your own pictures before you rely on it.
- Data licence: {licence_en}
- Input: `{graph["input"]}`, float32 (N, {doc["channels"]}, {size}), prepared by {prep_en}; then
  x = (pixel / 255 - mean) / std with mean {doc["mean"]} and std {doc["std"]}.
- Outputs: {", ".join(f"`{o}`" for o in graph["outputs"])} (N, {len(doc["classes"])}), classes in the order of labels.txt.
- Checked at export: {parity}.

## 模型卡片

- 模型: `{ckpt["model_name"]}`, 由 nnzero {__version__} 于 {date} 导出为 ONNX (opset {graph["opset"]})
- 训练数据: {ckpt.get("dataset") or "?"}, {len(doc["classes"])} 个类别: {classes}
- 测试指标 (来自检查点; 设置在验证集上选择, 测试集只评分一次):
{chr(10).join(metrics)}
- 预期用途: {use_zh}。这是教学用模型: 使用前请先用你自己的图片检验。
- 数据许可: {licence_zh}
- 输入: `{graph["input"]}`, float32 (N, {doc["channels"]}, {size}), 预处理: {prep_zh}; 然后
  x = (像素 / 255 - mean) / std, mean {doc["mean"]}, std {doc["std"]}。
- 输出: {", ".join(f"`{o}`" for o in graph["outputs"])} (N, {len(doc["classes"])}), 类别顺序与 labels.txt 相同。
- 导出时的检验: onnxruntime 与 PyTorch 在 {check["images"]} 张真实图像上 top-1 全部相同, 概率最大差 {check["max_abs_diff"]:.2e}。
"""
