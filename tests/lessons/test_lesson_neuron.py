"""「今天加班吗?」: the perceptron's weighted sum and 0/1 answer for every case, then the sigmoid."""

import numpy as np

from nnzero.i18n import set_lang
from nnzero.lessons import neuron

# (project due, overtime paid, plans tonight) -> z = 6·x1 + 3·x2 - 3·x3 - 5, answer
EXPECTED = {
    (0, 0, 0): (-5, 0),
    (0, 0, 1): (-8, 0),
    (0, 1, 0): (-2, 0),
    (0, 1, 1): (-5, 0),
    (1, 0, 0): (1, 1),
    (1, 0, 1): (-2, 0),
    (1, 1, 0): (4, 1),
    (1, 1, 1): (1, 1),
}


def test_every_case_of_the_overtime_perceptron():
    r = neuron.compute()
    assert r.bias == -neuron.THRESHOLD == -5
    got = {tuple(int(v) for v in x): (z, s) for x, z, s in zip(r.cases, r.z, r.step, strict=True)}
    assert got == EXPECTED
    # a deadline alone is enough; plans tonight outweigh it unless overtime is paid too
    assert got[(1, 0, 0)][1] == 1 and got[(1, 0, 1)][1] == 0 and got[(1, 1, 1)][1] == 1


def test_the_sigmoid_neuron_is_the_smooth_version():
    r = neuron.compute()
    assert np.allclose(r.sigmoid, 1 / (1 + np.exp(-r.z)))
    assert np.array_equal(r.sigmoid > 0.5, r.step == 1)  # same decisions...
    assert 0.73 < r.sigmoid[r.z == 1][0] < 0.732  # ...but a degree of certainty: σ(1) = 0.7311
    assert np.all((r.sigmoid > 0) & (r.sigmoid < 1))


def test_other_weights_and_threshold():
    r = neuron.compute(weights=(1, 1, 1), threshold=1.5)  # a majority vote: two yes out of three
    assert r.step.tolist() == [int(x.sum() >= 2) for x in r.cases]


def test_printed_table_in_both_languages():
    r = neuron.compute()
    text = "\n".join(neuron.explain(r))
    assert "6·1 + 3·1 + (-3)·1 - 5 = +1" in text and "0.7311" in text
    set_lang("zh")
    zh = "\n".join(neuron.explain(r))
    assert "今天加班吗" in zh and "项目明天截止" in zh and "加班" in zh
    assert neuron.key_numbers(r)["cases"][4] == {"x": [1, 0, 0], "z": 1.0, "step": 1, "sigmoid": 0.731059}
