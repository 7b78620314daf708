"""The page in a real headless Chromium: draw a digit with the mouse, upload a photo, switch language.

Needs Debian's chromium (`apt-get install chromium`) and Python Playwright (`pip install playwright`;
no browser download: Playwright drives /usr/bin/chromium). Skips with the reason when either is missing.
A screenshot of the page goes to the test's tmp dir and to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ._web import DIGITS, REPO, live_server

CHROMIUM = os.environ.get("NNZERO_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = pytest.mark.slow  # starts Chromium and a server (about 7 s)
SEVEN = [(0.22, 0.2), (0.78, 0.2), (0.45, 0.86)]  # a '7': the bar, then the long diagonal
ONE = [(0.52, 0.12), (0.48, 0.88)]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="pip install playwright (no browser download)"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium (or set NNZERO_CHROMIUM)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(small_checkpoint):
    """uvicorn on a free loopback port, in a thread: the app as `nnzero serve` runs it."""
    from nnzero.serving.app import create_app

    with live_server(create_app([small_checkpoint, f"copy={small_checkpoint}"])) as url:
        yield url


@pytest.fixture
def page(browser, server):
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.errors, page.requests = [], []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(server)
    page.wait_for_function("document.querySelectorAll('#model option').length === 2")
    yield page
    context.close()


def draw(page, strokes: list[list[tuple[float, float]]]) -> None:
    """Mouse strokes on the canvas; points are fractions of its width and height."""
    box = page.locator("#canvas").bounding_box()
    for stroke in strokes:
        points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=15)
        page.mouse.up()


def wait_for_guess(page, label: str, model: str) -> None:
    page.wait_for_function(
        "([label, model]) => document.querySelector('#guess').textContent === label"
        " && document.querySelector('#meta').textContent.startsWith(model + ' ')",
        arg=[label, model],
        timeout=20_000,
    )


def test_draw_a_digit_then_upload_a_photo(page, server, tmp_path):
    from playwright.sync_api import expect

    draw(page, [SEVEN])
    wait_for_guess(page, "7", "small")
    expect(page.locator("#bars li")).to_have_count(10)
    expect(page.locator("#seen-size")).to_have_text("(28×28)")
    assert "ms on the server" in page.locator("#meta").text_content()

    page.click("#clear")
    draw(page, [ONE])
    wait_for_guess(page, "1", "small")

    page.select_option("#model", "copy")  # a new model answers the same drawing again
    wait_for_guess(page, "1", "copy")

    page.set_input_files("#file", str(DIGITS / "d7_0_paper.jpg"))
    wait_for_guess(page, "7", "copy")
    expect(page.locator("#preview")).to_be_visible()

    shot = tmp_path / "serve_page.png"
    page.screenshot(path=str(shot), full_page=True)
    artifacts = REPO / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / ".gitignore").write_text("*\n")  # screenshots are results, never committed
    shutil.copy(shot, artifacts / shot.name)

    assert not page.errors, page.errors
    outside = [u for u in page.requests if not u.startswith((server, "data:", "blob:"))]
    assert not outside, f"the page loaded from other hosts: {outside}"


def test_bad_upload_shows_the_servers_error(page, tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("this is text, not a PNG")
    page.set_input_files("#file", str(notes))
    page.wait_for_function("document.querySelector('#status').textContent.includes('not an image')")
    assert page.locator("#guess").text_content() == ""


def test_chinese_follows_the_browser_and_the_switch(browser, server):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(server)
    page.wait_for_function("document.querySelectorAll('#model option').length === 2")
    assert page.locator("h2").first.text_content() == "写一个数字"
    assert "测试准确率" in page.locator("#model-info").text_content()
    page.click("#lang")
    assert page.locator("h2").first.text_content() == "Draw a digit"
    page.reload()  # the choice is remembered
    page.wait_for_function("document.querySelectorAll('#model option').length === 2")
    assert page.locator("h2").first.text_content() == "Draw a digit"
    context.close()


def test_offline_api_docs_render(browser, server):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/docs")
    page.wait_for_function("document.querySelectorAll('.endpoint').length >= 3")
    text = page.locator("#endpoints").text_content()
    assert "/api/predict/{model}" in text and "multipart/form-data" in text and "413" in text
    assert not errors, errors
    page.close()


def test_the_camera_is_answered_live(browser, small_checkpoint, tmp_path):
    """Chromium's fake camera plays a real photo of a handwritten 7: the page answers the live picture."""
    from playwright.sync_api import expect

    from nnzero.serving.app import create_app

    from ._web import y4m_video

    video = y4m_video([DIGITS / "d7_0_paper.jpg"], tmp_path / "seven.y4m")
    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    with live_server(create_app([small_checkpoint])) as url:
        with_camera = browser.browser_type.launch(
            executable_path=CHROMIUM, args=[*ARGS, *camera, f"--use-file-for-fake-video-capture={video}"]
        )
        page = with_camera.new_page(locale="en-US")
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_function("document.querySelectorAll('#model option').length === 1")
        answers = []
        page.on("response", lambda r: "/api/predict/" in r.url and answers.append(r.status))
        page.click("#camera-toggle")
        expect(page.locator("#video")).to_be_visible()
        page.wait_for_function("document.querySelector('#guess').textContent === '7'", timeout=20_000)
        page.wait_for_timeout(1500)  # it keeps answering while the camera runs
        assert len(answers) >= 3 and set(answers) == {200}, answers
        page.click("#camera-toggle")  # stopped: no more requests
        expect(page.locator("#video")).to_be_hidden()
        page.wait_for_timeout(500)
        count = len(answers)
        page.wait_for_timeout(800)
        assert len(answers) == count
        with_camera.close()
    assert not errors, errors
