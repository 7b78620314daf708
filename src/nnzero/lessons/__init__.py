"""Lessons: each concept of the course shown with real numbers and one picture.

    nnzero lesson                      # the topics
    nnzero lesson softmax --lang zh    # 中文讲解, writes lesson-softmax.png
    nnzero lesson all --out lessons/

One module per topic, NumPy and matplotlib only. Each has the same four functions:
``compute()`` returns a dataclass of the numbers, ``explain(result)`` the worked
numbers as lines of text (in the current language), ``key_numbers(result)`` a
JSON-ready dict, and ``figure(result, zh)`` a matplotlib Figure (``draw(name)`` picks
the font and language for it).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from nnzero.i18n import lang


@dataclass(frozen=True)
class Topic:
    name: str
    module: str  # under nnzero.lessons
    summary: str
    summary_zh: str

    def describe(self) -> str:
        return self.summary_zh if lang() == "zh" else self.summary


TOPICS = {
    t.name: t
    for t in (
        Topic(
            "neuron",
            "neuron",
            "the perceptron: 'work overtime today?' with weights, bias and a step, then a sigmoid",
            "感知机: 用权重、偏置和阶跃函数回答「今天加班吗?」, 再换成 sigmoid",
        ),
        Topic(
            "activations",
            "activations",
            "sigmoid, tanh, ReLU, leaky ReLU and their derivatives; vanishing gradients",
            "sigmoid、tanh、ReLU、leaky ReLU 及其导数; 梯度消失",
        ),
        Topic(
            "softmax",
            "softmax",
            "logits turned into probabilities that sum to 1, and the temperature",
            "把 logits 变成和为 1 的概率, 以及温度的作用",
        ),
        Topic(
            "loss",
            "loss",
            "0-1, squared and cross-entropy loss; why cross-entropy trains better",
            "0-1 损失、平方损失和交叉熵; 为什么交叉熵训练得更好",
        ),
        Topic(
            "gradient-descent",
            "gradient_descent",
            "SGD, momentum and Adam on a loss surface with four valleys",
            "SGD、动量和 Adam 在有四个山谷的损失曲面上",
        ),
        Topic(
            "backprop",
            "backprop",
            "a 2-2-1 network: every forward value and gradient, checked by finite differences",
            "2-2-1 网络: 每个前向值和梯度, 用有限差分验证",
        ),
        Topic(
            "conv",
            "conv",
            "a real MNIST digit through edge kernels and max pooling",
            "真实的 MNIST 数字经过边缘卷积核和最大池化",
        ),
        Topic(
            "sound",
            "sound",
            "a sound is a picture too: wave, spectrogram, mel bands, the log-mel picture a network hears",
            "声音也是一张图: 波形、频谱图、梅尔频带、网络听到的对数梅尔图",
        ),
        Topic(
            "committee",
            "committee",
            "three networks' mistakes on the same digits: where they disagree, and the average's vote",
            "三个网络在同一批数字上的错误: 哪里意见不一, 以及取平均后的投票",
        ),
    )
}


def lesson_module(name: str) -> ModuleType:
    return importlib.import_module(f"nnzero.lessons.{TOPICS[name].module}")


def png_name(name: str) -> str:
    return f"lesson-{name}.png"


def draw(name: str, result=None, zh: bool | None = None):
    """Lesson ``name``'s figure as a matplotlib Figure, e.g. in a notebook.

    ``result`` defaults to ``compute()``; ``zh`` defaults to the current language, and
    Chinese labels need a CJK font (without one the figure is drawn in English).
    """
    from nnzero.lessons._figure import choose_zh

    mod = lesson_module(name)
    return mod.figure(mod.compute() if result is None else result, choose_zh(zh)[0])


@dataclass
class LessonRun:
    topic: str
    result: object
    lines: list[str]
    numbers: dict
    png: Path
    figure_lang: str  # "zh" or "en": the language the figure was drawn in


def run_lesson(name: str, out_dir: Path, **options) -> LessonRun:
    """Compute one lesson's numbers, explain them and draw its PNG into ``out_dir``."""
    from nnzero.lessons._figure import render  # matplotlib loads only when a lesson runs

    mod = lesson_module(name)
    result = mod.compute(**options)
    png = Path(out_dir) / png_name(name)
    figure_lang = render(mod.figure, result, png)
    return LessonRun(name, result, mod.explain(result), mod.key_numbers(result), png, figure_lang)


__all__ = ["TOPICS", "Topic", "LessonRun", "draw", "lesson_module", "png_name", "run_lesson"]
