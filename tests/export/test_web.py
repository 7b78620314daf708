"""The web export in a real headless Chromium, offline: opened from disk and from a static server.

Targets (issue 24): the same top-1 as `nnzero predict` on 10 real pictures (5 digit photos, 5 flowers) with
probabilities within 0.02, read off the page's own bars; no request leaves the page's folder. Also: the
JavaScript preparation equals nnzero's pixel for pixel (given the same decoded pixels), a drawing and the
camera are answered, and the page speaks Chinese.

onnxruntime-web comes from the npm registry through nnzero's own download code (ort_files: pinned,
checksummed, cached in ~/.cache/nnzero or NNZERO_CACHE_DIR), or from NNZERO_ORT_DIR (a local copy);
the test skips, saying so, when neither is available. Chromium and Playwright as in tests/serving.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

## nnzero serve's browser tests: Chromium's path and flags, drawing with the mouse (and, through conftest.py,
## the `browser` fixture); tests/ is on the path as pytest runs these packages
from serving.test_browser import ARGS, CHROMIUM, SEVEN, draw

from .conftest import DIGITS, REPO, digit_files, shared_photos

pytestmark = pytest.mark.slow  # starts Chromium; the photo model's export takes about 15 s
pytest.importorskip("onnxruntime", reason="pip install 'nnzero[export]'")
DIGIT_PHOTOS = ["d0_3_rotated.jpg", "d2_1_large.jpg", "d7_0_paper.jpg", "d8_61_alpha.png", "d9_7_shadow.jpg"]


@pytest.fixture(scope="module")
def ort():
    """onnxruntime-web's files: NNZERO_ORT_DIR, else the npm registry through nnzero's downloader (cached)."""
    from nnzero.errors import NnzeroError
    from nnzero.export.ort_files import ort_files

    try:
        return ort_files(os.environ.get("NNZERO_ORT_DIR"), quiet=True)
    except NnzeroError as e:
        pytest.skip(f"onnxruntime-web unavailable (no npm registry, no NNZERO_ORT_DIR): {str(e)[:200]}")


def web_export(ckpt_path: Path, onnx_folder: Path | None, out: Path, ort: dict) -> Path:
    """A web export: export_model, or (to save an export) the page added to a copy of an ONNX export."""
    from nnzero.export import export_model
    from nnzero.export.web import write_web
    from nnzero.training.checkpoint import load_checkpoint

    folder = next(iter(ort.values())).parent
    if onnx_folder is None:
        export_model(ckpt_path, out, "web", check=2, web_options={"ort_dir": folder})
        return out
    shutil.copytree(onnx_folder, out)
    doc = json.loads((out / "preprocess.json").read_text(encoding="utf-8"))
    write_web(out, load_checkpoint(ckpt_path), doc, ort_dir=folder)
    return out


@pytest.fixture(scope="module")
def digit_site(small_checkpoint, ort, tmp_path_factory):
    return web_export(small_checkpoint, None, tmp_path_factory.mktemp("web") / "digits", ort)


@pytest.fixture(scope="module")
def flower_site(exported, ort, tmp_path_factory):
    checkpoint, folder = exported("efficientnet_lite0")
    return checkpoint, web_export(checkpoint, folder, tmp_path_factory.mktemp("web") / "flowers", ort)


def open_page(browser, url: str, locale: str = "en-US"):
    page = browser.new_context(locale=locale, viewport={"width": 1100, "height": 900}).new_page()
    page.errors, page.requests = [], []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(url)
    page.wait_for_function("window.nnzeroPage !== undefined")
    return page


def bars(page) -> dict[str, float]:
    """{label: probability} as the page's bars show them (to 0.1%)."""
    script = "items => items.map(li => [li.querySelector('.label').textContent, li.querySelector('.prob').textContent])"
    return {
        label: float(value.rstrip("%")) / 100
        for label, value in page.eval_on_selector_all("#bars li", script)
    }


def answer(page, picture: Path) -> dict[str, float]:
    """Upload a picture through the page's file input; its answer as the bars show it."""
    page.evaluate("document.getElementById('guess').textContent = ''")
    page.set_input_files("#file", str(picture))
    page.wait_for_function("document.getElementById('guess').textContent !== ''", timeout=60_000)
    return bars(page)


def nnzero_answers(checkpoint: Path, pictures: list[Path]) -> list[dict]:
    """`nnzero predict`'s answers: {"label": the class or "unknown", "probs": {class: probability}}."""
    from nnzero.inference import load

    predictor = load(checkpoint, device="cpu")
    prepared, errors = predictor.prepare_files([str(p) for p in pictures])
    assert not errors
    answers = predictor.answer(np.stack(list(prepared.values())), top=len(predictor.classes))
    return [{"label": a["label"], "probs": {t["label"]: t["prob"] for t in a["top"]}} for a in answers]


def assert_same_answers(page, checkpoint: Path, pictures: list[Path]) -> float:
    """Each picture answered as nnzero answers it (its top class, or "unknown"), probabilities within 0.02;
    the largest difference seen."""
    largest = 0.0
    for picture, ours in zip(pictures, nnzero_answers(checkpoint, pictures)):
        shown = answer(page, picture)
        assert page.locator("#guess").text_content() == ours["label"], picture.name
        worst = max(abs(shown[label] - ours["probs"][label]) for label in shown)
        assert worst <= 0.02, (picture.name, worst)
        largest = max(largest, worst)
    return largest


def keep(name: str, page=None, **figures) -> None:
    """A screenshot and the measured figures in tests/artifacts/ (git-ignored): what the test saw."""
    artifacts = REPO / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / ".gitignore").write_text("*\n")
    if page is not None:
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    if figures:
        (artifacts / f"{name}.json").write_text(json.dumps(figures, indent=1) + "\n")


def assert_stayed_in(page, folder_url: str) -> None:
    assert not page.errors, page.errors
    outside = [u for u in page.requests if not u.startswith((folder_url, "blob:", "data:"))]
    assert not outside, f"requests left the page's folder: {outside}"


def test_from_disk_answers_like_nnzero_predict(browser, digit_site, flower_site, small_checkpoint):
    page = open_page(browser, (digit_site / "index.html").as_uri())
    digits = assert_same_answers(page, small_checkpoint, [DIGITS / n for n in DIGIT_PHOTOS])
    assert page.locator("#seen-size").text_content() == "(28×28)"
    assert "in this browser" in page.locator("#meta").text_content()
    assert_stayed_in(page, digit_site.as_uri() + "/")
    keep("web_export_digits", page)
    checkpoint, site = flower_site
    page = open_page(browser, (site / "index.html").as_uri())
    flowers = assert_same_answers(page, checkpoint, shared_photos("flowers", 5))
    assert page.locator("#seen-size").text_content() == "(224×224)"
    assert_stayed_in(page, site.as_uri() + "/")
    keep(
        "web_export_flowers",
        page,
        largest_probability_difference={"digit photos": digits, "flowers": flowers},
    )


@pytest.fixture
def static_server(digit_site):
    """The export's folder on a plain static server (as GitHub Pages or `python -m http.server` serve it)."""
    handler = functools.partial(QuietHandler, directory=str(digit_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_from_a_static_server_fetches_model_onnx(browser, static_server, small_checkpoint):
    page = open_page(browser, static_server)
    assert_same_answers(page, small_checkpoint, [DIGITS / n for n in DIGIT_PHOTOS[:2]])
    fetched = {u.rsplit("/", 1)[1] for u in page.requests if u.startswith(static_server)}
    assert {"model.onnx", "ort-wasm-simd-threaded.wasm"} <= fetched and "model.js" not in fetched
    assert_stayed_in(page, static_server)


def test_the_javascript_prepares_pictures_as_nnzero_does(browser, digit_site, flower_site):
    """Given the same decoded pixels, prepare.js gives nnzero's prepared input exactly: every digit photo,
    a drawing, flowers and pets."""
    from PIL import Image

    from nnzero.datasets.digit_photos import prepare_canvas
    from nnzero.datasets.images import open_image
    from nnzero.inference.prepare import prepare_image

    def compare(site: Path, pictures: list[Path], drawing: bool = False) -> None:
        page = open_page(browser, (site / "index.html").as_uri())
        spec = {"digit": {"kind": "digits", "size": 28, "channels": 1},
                "photo": {"kind": "photos", "size": 224, "channels": 3}}  # fmt: skip
        doc = json.loads((site / "preprocess.json").read_text(encoding="utf-8"))
        for picture in pictures:
            image = open_image(picture)
            ours = prepare_canvas(image)[None] if drawing else prepare_image(image, spec[doc["kind"]])
            rgba = np.asarray(image.convert("RGBA"))
            theirs = page.evaluate(
                "([b, w, h, d]) => Array.from(nnzeroPrepare(Uint8Array.from(atob(b), c => c.charCodeAt(0)), w, h, d))",
                [base64.b64encode(rgba.tobytes()).decode(), rgba.shape[1], rgba.shape[0], drawing],
            )
            np.testing.assert_array_equal(
                np.asarray(theirs, np.uint8).reshape(ours.shape), ours, picture.name
            )

    compare(digit_site, digit_files())
    drawing = digit_site / "seven.png"
    Image.open(DIGITS / "mnist_test_0_7.png").resize((280, 280)).convert("RGBA").save(drawing)
    compare(digit_site, [drawing], drawing=True)
    compare(flower_site[1], shared_photos("flowers", 5) + shared_photos("pets", 4))


def test_a_drawing_is_answered_as_nnzero_answers_it(browser, digit_site, small_checkpoint):
    from nnzero.datasets.digit_photos import prepare_canvas
    from nnzero.datasets.images import open_image
    from nnzero.inference import load

    page = open_page(browser, (digit_site / "index.html").as_uri())
    draw(page, [SEVEN])
    page.wait_for_function("document.getElementById('guess').textContent === '7'", timeout=30_000)
    png = base64.b64decode(
        page.evaluate("document.getElementById('canvas').toDataURL('image/png')").split(",")[1]
    )
    predictor = load(small_checkpoint, device="cpu")
    ours = predictor.answer(prepare_canvas(open_image(png))[None, None], top=10)[0]
    shown = bars(page)
    assert page.locator("#guess").text_content() == ours["label"]
    assert max(abs(shown[t["label"]] - t["prob"]) for t in ours["top"]) <= 0.02
    assert_stayed_in(page, digit_site.as_uri() + "/")


def test_the_camera_and_chinese(browser, digit_site, tmp_path):
    """Chromium's fake camera plays a real photo of a 7: the page answers it live; the page speaks Chinese."""
    from playwright.sync_api import expect
    from serving._web import y4m_video  # tests/serving's helper (tests/ is on the path, as pytest runs it)

    video = y4m_video([DIGITS / "d7_0_paper.jpg"], tmp_path / "seven.y4m")
    camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with_camera = browser.browser_type.launch(executable_path=CHROMIUM, args=[*ARGS, *camera])
    try:
        page = open_page(with_camera, (digit_site / "index.html").as_uri(), locale="zh-CN")
        assert page.locator("h2").first.text_content() == "写一个数字"
        assert "不会离开这个网页" in page.locator("footer").text_content()
        page.click("#camera-toggle")
        expect(page.locator("#video")).to_be_visible()
        page.wait_for_function("document.getElementById('guess').textContent === '7'", timeout=30_000)
        assert "在这个浏览器中" in page.locator("#meta").text_content()
        page.click("#lang")
        assert page.locator("h2").first.text_content() == "Draw a digit"
        assert_stayed_in(page, digit_site.as_uri() + "/")
    finally:
        with_camera.close()
