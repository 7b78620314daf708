"""The listen view in a real headless Chromium: its fake microphone plays a real FSDD recording (resampled to
48 kHz, as a sound card delivers it), the page records it and names the digit; a dropped WAV is answered too."""

from __future__ import annotations

import numpy as np
import pytest

from ._web import live_server
from .test_browser import ARGS, CHROMIUM, browser  # noqa: F401  (the module's Chromium, reused)

pytestmark = pytest.mark.slow  # trains a sound model, starts Chromium and a server
sf = pytest.importorskip("soundfile")
SPOKEN = "7_jackson_0"  # FSDD test take 0 of jackson's seven: never trained on


def _microphone_file(recording, out):
    """The recording at 48 kHz, 16-bit, after 0.6 s of room noise and before 1.5 s more."""
    from nnzero.datasets.audio import resample

    samples, rate = sf.read(recording, dtype="float32")
    word = resample(samples, rate, 48000)
    noise = np.random.default_rng(0).normal(0, 3e-4, int(2.1 * 48000) + len(word)).astype(np.float32)
    noise[int(0.6 * 48000) : int(0.6 * 48000) + len(word)] += word
    sf.write(out, noise, 48000, subtype="PCM_16")
    return out


def test_the_microphone_is_heard(browser, sound_run, fsdd_data, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    from nnzero.serving.app import create_app

    wav = _microphone_file(fsdd_data / "recordings" / f"{SPOKEN}.wav", tmp_path / "seven.wav")
    microphone = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}%noloop",  # played once, from when the page opens the microphone
        "--autoplay-policy=no-user-gesture-required",
    ]
    with live_server(create_app([sound_run.checkpoint])) as url:
        listening = browser.browser_type.launch(executable_path=CHROMIUM, args=[*ARGS, *microphone])
        page = listening.new_page(locale="en-US")
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_function("document.querySelectorAll('#model option').length === 1")
        expect(page.locator("#record")).to_be_visible()  # a server of sound models opens on the listen view
        page.click("#record")
        page.wait_for_function("document.querySelector('#listen-guess').textContent === '7'", timeout=20_000)
        expect(page.locator("#heard")).to_be_visible()
        expect(page.locator("#listen-result h2")).to_have_text("Answer")
        assert page.locator("#heard").evaluate("img => [img.naturalWidth, img.naturalHeight]") == [32, 32]
        expect(page.locator("#playback")).to_be_visible()
        page.screenshot(path=str(tmp_path / "listen.png"), full_page=True)
        ## a dropped (chosen) file: another real recording, a three
        page.set_input_files("#sound-file", str(fsdd_data / "recordings" / "3_george_1.wav"))
        page.wait_for_function("document.querySelector('#listen-guess').textContent === '3'", timeout=10_000)
        page.click("#lang")
        expect(page.locator("#view-listen h2").first).to_have_text("说一个数字")
        listening.close()
    assert not errors, errors
