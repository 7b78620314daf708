"""The committee lesson: three real networks trained by the NumPy engine, their average, and who got what wrong."""

import numpy as np
import pytest

from nnzero.i18n import set_lang
from nnzero.lessons import committee as cm


@pytest.fixture(scope="module")
def result():
    return cm.compute()


@pytest.mark.slow  # trains three small networks (about 4 s)
def test_the_committee_is_the_average_and_beats_its_members(result):
    assert result.probs.shape == (3, 2000, 10) and np.allclose(result.probs.sum(2), 1)
    assert np.allclose(result.mean, result.probs.mean(0))
    accuracies = result.accuracies
    assert 0.85 < min(accuracies) and max(accuracies) < 0.97  # three real, different networks
    assert len(set(accuracies)) == 3
    committee = 1 - result.committee_wrong.mean()
    assert committee > max(accuracies)  # measured: 0.929 against 0.912, 0.925, 0.912
    ## every image is wrong for 0, 1, 2 or 3 of them; the vote is one of the three answers where two agree
    assert sum(result.wrong_by(k).size for k in range(4)) == 2000
    answers = result.probs.argmax(2)
    two = (answers[0] == answers[1]) | (answers[0] == answers[2]) | (answers[1] == answers[2])
    assert np.all(result.vote[two] == np.median(answers, 0)[two])


@pytest.mark.slow
def test_text_numbers_and_examples(result):
    text = "\n".join(cm.explain(result))
    numbers = cm.key_numbers(result)
    assert f"{numbers['committee_accuracy']:.4f}" in text and "all three wrong" in text
    assert numbers["wrong_by"]["0"] + numbers["wrong_by"]["3"] < 2000
    for i in numbers["examples"]:  # images the networks disagree on
        assert 0 < result.wrong[:, i].sum() < 3
    set_lang("zh")
    try:
        assert "三个都错" in "\n".join(cm.explain(result))
    finally:
        set_lang(None)
