"""Softmax: probabilities that sum to 1, equal to the direct formula, sharpened or flattened by T."""

import numpy as np
import pytest

from nnzero.i18n import set_lang
from nnzero.lessons import softmax as sm


def test_probabilities_sum_to_one_and_match_the_formula():
    r = sm.compute()
    assert r.logits[:5].tolist() == [2.0, 1.0, 0.1, 3.0, 0.5]
    direct = np.exp(r.logits) / np.exp(r.logits).sum()
    assert np.allclose(r.probs, direct, rtol=1e-12)
    assert r.probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert int(r.probs.argmax()) == 3 and r.probs[3] == pytest.approx(20.0855 / 41.6284, rel=1e-4)
    assert np.allclose(r.shifted_probs, r.probs)  # adding 1000 to every score changes nothing


def test_temperature():
    r = sm.compute()
    for t, p in zip(r.temperatures, r.by_temperature, strict=True):
        assert p.sum() == pytest.approx(1.0)
        assert np.allclose(p, np.exp(r.logits / t) / np.exp(r.logits / t).sum())
    assert np.all(np.diff(r.entropies) > 0)  # higher T, flatter
    assert r.entropies[-1] < np.log(10)
    assert sm.softmax(r.logits, 0.01).max() == pytest.approx(1.0)  # T -> 0: one-hot
    assert np.allclose(sm.softmax(r.logits, 1e6), 0.1, atol=1e-5)  # T -> inf: uniform


def test_huge_scores_do_not_overflow():
    p = sm.softmax([1000.0, 999.0, -1000.0])
    assert np.all(np.isfinite(p)) and p.sum() == pytest.approx(1.0)
    assert p[0] == pytest.approx(1 / (1 + np.exp(-1)))


def test_text_and_json():
    r = sm.compute()
    assert "1.000000" in "\n".join(sm.explain(r))
    set_lang("zh")
    assert "概率之和" in "\n".join(sm.explain(r))
    nums = sm.key_numbers(r)
    assert nums["argmax"] == 3 and nums["sum"] == pytest.approx(1.0)
    assert sum(nums["temperatures"]["2.0"]["probs"]) == pytest.approx(1.0, abs=1e-5)
