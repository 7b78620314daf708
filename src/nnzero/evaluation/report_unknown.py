"""Two report sections about what a model knows beyond its classes: when it says "unknown"
(accuracy against coverage, and where the threshold sits) and which ImageNet classes its
training photos look like to the pretrained backbone. Each is ``(id, heading, body HTML)``."""

from __future__ import annotations

from nnzero.evaluation.html import esc, figure_png, img, table, text
from nnzero.evaluation.runinfo import RunInfo
from nnzero.figures import figure_zh, pick, plt, savefig


def unknown(info: RunInfo, lang: str) -> tuple[str, str, str] | None:
    u = (info.eval or {}).get("unknown")
    if not u or "curve" not in u:
        return None
    heading = text(lang, "Unknown answers: accuracy against coverage", "不确定的回答: 准确率与覆盖率")
    zh = lang == "zh" and figure_zh(True)
    png = figure_png(
        lambda out: plot_coverage(u["curve"], (u["test_coverage"], u["test_accuracy_answered"]), out, zh)
    )
    intro = text(
        lang,
        'Below a threshold of similarity to the training pictures the model answers "unknown". '
        "Coverage: the share of test pictures it still answers; the curve shows the accuracy on those, "
        "for every threshold, and the dot where the chosen one sits.",
        '与训练图像的相似度低于阈值时, 模型回答"不确定"。覆盖率: 仍然回答的测试图像所占比例; '
        "曲线给出每个阈值下所回答图像的准确率, 圆点是选定的阈值。",
    )
    rows = [
        [text(lang, "threshold (similarity)", "阈值 (相似度)"), u["threshold"]],
        [text(lang, "chosen for coverage", "选定时的目标覆盖率"), u["coverage"]],
        [text(lang, "chosen on", "选定依据"), f"{u['calibration']} ({u['chosen_on']})"],
        [text(lang, "test coverage", "测试覆盖率"), u["test_coverage"]],
        [text(lang, "accuracy of the answered", "回答部分的准确率"), u["test_accuracy_answered"]],
        [text(lang, "accuracy of all", "全部的准确率"), u["test_accuracy_all"]],
    ]
    folder = u.get("folder")
    if folder and folder.get("images"):
        rows.append(
            [
                text(lang, "unknown pictures rejected", "未知图像的拒答率") + f" ({esc(folder['folder'])})",
                folder["rejected"],
            ]
        )
    body = f"<p>{esc(intro)}</p>" + img(png, "accuracy against coverage", "coverage-img")
    return "unknown", heading, body + table([text(lang, "what", "项目"), text(lang, "value", "值")], rows)


def plot_coverage(curve: list, point: tuple, out, zh: bool = False) -> None:
    """Accuracy of the answered pictures against coverage, with the chosen threshold marked."""
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    ax.plot([c for c, _ in curve], [a for _, a in curve], color="#36c")
    if point[1] is not None:
        ax.plot([point[0]], [point[1]], "o", color="#d33", label=pick("threshold", "阈值", zh))
        ax.legend(loc="upper left")
    ax.set_xlabel(pick("coverage (share of test pictures answered)", "覆盖率 (回答的测试图像比例)", zh))
    ax.set_ylabel(pick("accuracy of the answered", "回答部分的准确率", zh))
    ax.invert_xaxis()  # from answering everything (left) to answering only the surest (right)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    savefig(fig, out, dpi=100)


def imagenet(info: RunInfo, lang: str) -> tuple[str, str, str] | None:
    seen = ((info.checkpoint or {}).get("metrics") or {}).get("imagenet")
    if not seen:
        return None
    heading = text(lang, "What the training photos look like to ImageNet", "训练照片在 ImageNet 看来像什么")
    intro = text(
        lang,
        "The pretrained backbone's own 1000-class ImageNet classifier, on each class's training photos: "
        "the ImageNet classes with the largest mean probability.",
        "预训练骨干网络自带的 ImageNet 1000 类分类层, 作用在每个类别的训练照片上: 平均概率最大的 ImageNet 类别。",
    )
    key = "label_zh" if lang == "zh" else "label"

    def named(t: dict) -> str:
        both = f"{t['label']} / {t['label_zh']}" if lang == "both" else t[key]
        return f"{both} {t['prob']:.0%}" if t["prob"] >= 0.01 else f"{both} {t['prob']:.1%}"

    rows = [[c, *map(named, top[:3])] for c, top in seen["per_class"].items()]
    rows.append([text(lang, "all photos", "全部照片"), *map(named, seen["all"][:3])])
    header = [text(lang, "class", "类别"), "1", "2", "3"]
    return "imagenet", heading, f"<p>{esc(intro)}</p>" + table(header, rows, left=4)
