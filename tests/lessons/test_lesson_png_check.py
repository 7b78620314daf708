"""The PNG check itself must be able to fail: blank, empty-axes and wrong-size pictures are caught."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def test_blank_and_empty_axes_are_rejected(tmp_path, png_problems):
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((460, 1200, 3), 255, np.uint8)).save(blank)
    assert png_problems(blank, (1200, 460))
    fig, _ = plt.subplots(1, 2, figsize=(12, 4.6))
    fig.savefig(tmp_path / "empty.png", dpi=100)
    plt.close(fig)
    assert any("coloured" in p for p in png_problems(tmp_path / "empty.png", (1200, 460)))
    assert any("size" in p for p in png_problems(tmp_path / "empty.png", (1500, 440)))


def test_truncated_png_fails_to_decode(tmp_path, png_problems):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1], color="tab:red")
    fig.savefig(tmp_path / "ok.png", dpi=100)
    plt.close(fig)
    assert png_problems(tmp_path / "ok.png", (400, 300)) == []
    (tmp_path / "cut.png").write_bytes((tmp_path / "ok.png").read_bytes()[:2000])
    try:
        png_problems(tmp_path / "cut.png", (400, 300))
    except OSError:
        return
    raise AssertionError("a truncated PNG was accepted")
