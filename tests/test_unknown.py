"""``nnzero.unknown``: the nearest-neighbour score, its threshold, and what a checkpoint stores.

Real pictures throughout: MNIST digits (their pixels, or a trained model's features) are the known
pictures; cat and dog photos, noise and blank images are none of the classes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from nnzero.datasets.mnist import load_arrays
from nnzero.unknown import Unknown, fit_unknown
from nnzero.unknown.nearest import knn_similarity, threshold_at, unit_rows

SHARED_DATA = Path(
    os.environ.get("NNZERO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    images, _ = load_arrays("test")
    return images.reshape(len(images), -1).astype(np.float32)  # (10000, 784): pixels as features


def test_the_threshold_keeps_the_share_asked_for():
    scores = np.arange(1.0, 101.0)  # 100 calibration scores
    t = threshold_at(scores, 0.95)
    assert t == 5.0 and (scores >= t).mean() == 0.96  # floor(101 x 0.05) = 5: the 5th lowest
    assert threshold_at(scores, 0.99) == 1.0
    assert threshold_at(scores[:10], 0.95) == 1.0  # too few for 95%: the lowest, so all ten are answered


def test_leave_one_out_never_lets_a_picture_vouch_for_itself(digits):
    bank = unit_rows(digits[:300])
    alone = knn_similarity(bank, bank, 1, exclude=torch.arange(300))
    assert (alone < 0.9999).all()  # each its own nearest otherwise: similarity 1
    assert torch.allclose(knn_similarity(bank, bank, 1), torch.ones(300), atol=1e-5)


def test_known_pictures_are_answered_at_the_coverage_and_noise_is_not(digits):
    unknown = fit_unknown(digits[:1000])
    assert unknown.chosen_on == "leave-one-out" and unknown.calibration == 1000 and unknown.k == 3
    answered = 1 - unknown.flags(digits[1000:3000]).mean()  # 2,000 digits it never saw
    assert 0.92 <= answered <= 0.98  # 95% within the noise of 2,000 pictures
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (50, 784)).astype(np.float32)
    blank = np.full((5, 784), 255.0, np.float32)
    assert unknown.flags(noise).all() and unknown.flags(blank).all()


def test_many_pictures_a_sampled_bank_calibrated_on_the_others(digits):
    unknown = fit_unknown(digits[:700], max_bank=300)
    assert len(unknown.bank) == 300 and unknown.calibration == 300
    assert unknown.chosen_on == "left out of the bank"
    assert 0.9 <= 1 - unknown.flags(digits[1000:2000]).mean() <= 0.99


def test_a_checkpoint_carries_it_as_plain_tensors(digits, tmp_path):
    unknown = fit_unknown(digits[:200])
    torch.save({"unknown": unknown.to_dict()}, tmp_path / "u.pt")
    back = Unknown.from_dict(torch.load(tmp_path / "u.pt", weights_only=True)["unknown"])
    assert back.threshold == unknown.threshold and back.bank.dtype == torch.float16
    np.testing.assert_array_equal(back.flags(digits[200:400]), unknown.flags(digits[200:400]))
    assert Unknown.from_dict(None) is None and Unknown.from_dict({"method": "a-later-kind"}) is None


def test_imagenet_names_in_english_and_chinese():
    from nnzero.models.imagenet import imagenet_names

    en, zh = imagenet_names("en"), imagenet_names("zh")
    assert len(en) == len(zh) == 1000 and all(zh) and all(en)
    assert (en[281], zh[281]) == ("tabby", "虎斑猫") and (en[985], zh[985]) == ("daisy", "雏菊")


@pytest.mark.slow
def test_an_mnist_model_says_unknown_to_a_photo(tmp_path):
    import nnzero
    from nnzero.datasets.images import open_image

    cats = sorted((SHARED_DATA / "catsdogs" / "train").glob("cat.*.jpg"))[:10]
    if not cats:
        pytest.skip("real cat photos not found in ../shared/data/catsdogs/train")
    run = nnzero.train("mnist", runs_dir=tmp_path, name="m", limit=6000, progress=False, say=lambda m: None)
    assert run.metrics["unknown"]["coverage"] == 0.95 and 0.9 <= run.metrics["unknown"]["test_coverage"] <= 1
    predictor = nnzero.load(run.checkpoint)
    answers = predictor.predict([open_image(p) for p in cats])
    assert sum(a.unknown for a in answers) >= 8  # a cat is not a digit
    images, labels = load_arrays("test")
    known = predictor.predict(list(images[:200]))
    assert sum(not a.unknown for a in known) >= 180
    assert [a.label for a in predictor.predict(list(images[:20]), unknown=False)] == [
        a[0]["label"] for a in known[:20]
    ]
