"""The synthetic speakers (`--set data.synthetic=N`): the ten digits said by espeak-ng's voices, as pictures."""

import numpy as np
import pytest

from nnzero.datasets import synthetic_voices
from nnzero.datasets.sound_pictures import sound_spec
from nnzero.datasets.sounds import _with_synthetic
from nnzero.errors import DataError

from .conftest import have

SPEC = sound_spec(rate=8000, size=32, seconds=1.5, fit="window")


@pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_three_voices_say_the_ten_digits_once_then_come_from_the_cache(monkeypatch):
    pictures, labels, names = synthetic_voices.synthetic_digits(3, SPEC)
    assert pictures.shape == (30, 1, 32, 32) and pictures.dtype == np.uint8
    assert labels.tolist() == list(range(10)) * 3 and len(set(names)) == 30
    ## a spoken word, not silence: every picture has loud and quiet cells
    assert all(p.std() > 20 and p.max() > 200 for p in pictures)
    ## the voices differ: the same digit said by two voices gives two different pictures
    assert not np.array_equal(pictures[7], pictures[17])
    ## the second time nothing is said again: the pictures come from the cache
    monkeypatch.setattr(synthetic_voices, "_build", lambda *a: pytest.fail("espeak-ng called again"))
    again, again_labels, _ = synthetic_voices.synthetic_digits(3, SPEC)
    assert np.array_equal(again, pictures) and np.array_equal(again_labels, labels)


def test_without_espeak_ng_the_voices_are_a_clear_error_and_training_goes_on_without_them(
    monkeypatch, capsys
):
    monkeypatch.setattr(synthetic_voices, "espeak", lambda: None)
    with pytest.raises(DataError, match="apt-get install espeak-ng"):
        synthetic_voices.synthetic_digits(3, SPEC)
    from nnzero.datasets.base import ImageSet

    real = ImageSet(
        np.zeros((4, 1, 32, 32), np.uint8),
        np.arange(4),
        [str(d) for d in range(10)],
        "fsdd",
        "sound",
        (0.5,),
        (0.25,),
    )
    assert _with_synthetic(real, 3, SPEC) is real
    assert "espeak-ng is not installed" in capsys.readouterr().err
