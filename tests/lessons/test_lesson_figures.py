"""Every lesson writes a real PNG, in English and in Chinese, and falls back cleanly without a CJK font."""

import warnings

import matplotlib
import pytest

from nnzero import figures
from nnzero.figures import plt, use_cjk_font
from nnzero.i18n import set_lang
from nnzero.lessons import TOPICS, _figure, conv, png_name, run_lesson

# pixel size of each lesson's figure (figsize x 100 dpi)
SIZES = {
    "neuron": (1200, 460),
    "activations": (1500, 440),
    "softmax": (1500, 420),
    "loss": (1500, 420),
    "gradient-descent": (1400, 600),
    "backprop": (1200, 700),
    "conv": (1200, 840),
    "sound": (1200, 800),
    "committee": (1400, 640),
}


## The gradient-descent figure (surface, contours, paths) takes about 1.7 s to draw, the committee lesson
## trains three networks (about 4 s): the fast subset skips them.
SLOW = ("gradient-descent", "committee")
TOPIC_PARAMS = [pytest.param(t, marks=pytest.mark.slow) if t in SLOW else t for t in TOPICS]


def test_every_topic_has_a_size():
    assert set(SIZES) == set(TOPICS)


@pytest.mark.parametrize("topic", TOPIC_PARAMS)
def test_png_in_english(topic, tmp_path, png_problems):
    done = run_lesson(topic, tmp_path)
    assert done.png == tmp_path / png_name(topic) and done.figure_lang == "en"
    assert png_problems(done.png, SIZES[topic]) == []
    assert done.lines and done.numbers


@pytest.mark.parametrize("topic", TOPIC_PARAMS)
def test_png_in_chinese_without_missing_glyphs(topic, tmp_path, png_problems):
    if use_cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    set_lang("zh")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would be a warning
        done = run_lesson(topic, tmp_path / "zh")
    assert done.figure_lang == "zh"
    assert png_problems(done.png, SIZES[topic]) == []


def test_conv_titles_follow_the_course():
    r = conv.compute()
    for zh, titles in (
        (True, ("原始图像", "垂直边缘", "水平边缘")),
        (False, ("original image", "vertical edges", "horizontal edges")),
    ):
        fig = conv.figure(r, zh)
        shown = [ax.get_title() for ax in fig.axes]
        plt.close(fig)
        for title in titles:
            assert any(s.startswith(title) for s in shown), (title, shown)


def _chinese_figure(result, zh):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [1, 0], color="tab:red")
    ax.set_title("原始图像")
    return fig


def test_without_cjk_font_figures_fall_back_quietly(tmp_path, monkeypatch, png_problems):
    monkeypatch.setattr(figures, "cjk_font", lambda: None)
    set_lang("zh")
    with matplotlib.rc_context({"font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans"]}):
        # the check can fail: outside the fallback, Chinese text in DejaVu Sans warns
        with pytest.warns(UserWarning, match="missing from font"):
            fig = _chinese_figure(None, True)
            fig.savefig(tmp_path / "warns.png")
        plt.close(fig)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert _figure.render(_chinese_figure, None, tmp_path / "quiet.png") == "en"
            done = run_lesson("conv", tmp_path)
    assert done.figure_lang == "en"  # labels drawn in English rather than as empty boxes
    assert png_problems(done.png, SIZES["conv"]) == []


def test_draw_for_notebooks(monkeypatch):
    from nnzero.lessons import draw, softmax

    r = softmax.compute(logits=[1.0, 2.0, 3.0], temperatures=[0.5, 1.0, 10.0])
    fig = draw("softmax", r, zh=False)
    assert fig.axes[0].get_title() == "scores (logits) z" and len(fig.axes[1].patches) == 3
    plt.close(fig)
    if use_cjk_font() is not None:
        fig = draw("softmax", r, zh=True)
        assert fig.axes[0].get_title() == "分数 (logits) z"
        plt.close(fig)
    monkeypatch.setattr(figures, "cjk_font", lambda: None)
    fig = draw("conv", zh=True)  # no CJK font: English rather than empty boxes
    assert fig.axes[0].get_title().startswith("original image")
    plt.close(fig)
