"""What one column of a sound's picture is: one 32 ms frame at its moment ("sampled"), or the average power
over the column's whole span ("pooled"), so that a short sound between two columns' frames is still seen."""

from __future__ import annotations

import numpy as np
import pytest

from nnzero.datasets.sound_pictures import clip_pictures, sound_spec

sf = pytest.importorskip("soundfile", reason='pip install -e ".[sound]"')

RATE, SIZE, SECONDS = 8000, 32, 1.5
LENGTH = int(SECONDS * RATE)  # 12,000 samples
HOP = LENGTH // (SIZE - 1)  # 387 samples (48 ms) between columns; a frame is 256 samples (32 ms)


def _spec(columns: str) -> dict:
    return sound_spec(RATE, SIZE, SECONDS, fit="window", trim_db=None, columns=columns)


def _word_then_burst(recording, column: int) -> np.ndarray:
    """A real word in the first half of 1.5 s, and 12 ms of its loudest part alone, centred between the
    frames of ``column`` and ``column + 1`` (where a sampled picture has no frame)."""
    word, rate = sf.read(recording("2_george_5"), dtype="float32")
    assert rate == RATE
    clip = np.zeros(LENGTH, np.float32)
    clip[: len(word)] = word
    loudest = int(np.argmax(np.convolve(word**2, np.ones(96), "valid")))
    middle = column * HOP + HOP // 2
    clip[middle - 48 : middle + 48] = word[loudest : loudest + 96]
    return clip


def test_a_short_sound_between_two_frames_is_seen_only_by_pooled_columns(recording):
    column = 26  # 1.25 s: well after the word (0.5 s)
    clip = _word_then_burst(recording, column)
    sampled = clip_pictures(clip, RATE, _spec("sampled"))[0, 0].astype(int)  # (32, 32)
    pooled = clip_pictures(clip, RATE, _spec("pooled"))[0, 0].astype(int)
    around = slice(column - 1, column + 3)
    assert sampled[:, around].max() == 0  # fell between the frames: silence at -80 dB
    assert pooled[:, column : column + 2].max() > 150  # within 30 dB of the loudest cell
    ## and nowhere else: the columns further away stay silent
    assert pooled[:, column + 3 :].max() == 0 and pooled[:, 18 : column - 1].max() == 0


def test_pooled_and_sampled_pictures_of_a_word_look_alike(fsdd_dir):
    """Pooling changes what each column averages over, not what the word looks like (measured on the 50
    takes 3: correlation median 0.986, lowest 0.80 for a short word whose frames missed part of it)."""
    correlations = []
    for path in sorted((fsdd_dir / "recordings").glob("*_3.wav")):
        samples, rate = sf.read(path, dtype="float32")
        spec = dict(rate=RATE, size=SIZE, seconds=SECONDS, fit="window")
        sampled = clip_pictures(samples, rate, sound_spec(**spec)).astype(float).ravel()
        pooled = clip_pictures(samples, rate, sound_spec(**spec, columns="pooled")).astype(float).ravel()
        correlations.append(np.corrcoef(sampled, pooled)[0, 1])
        assert np.abs(sampled - pooled).mean() < 15, path.name
    assert len(correlations) == 50 and np.median(correlations) > 0.97 and min(correlations) > 0.7


def test_the_spec_says_how_columns_are_made(recording):
    assert sound_spec(RATE, SIZE, SECONDS)["columns"] == "pooled"
    ## a checkpoint written before pooling has no "columns": its clips are still made as it was trained on
    older = {k: v for k, v in sound_spec(RATE, SIZE, SECONDS).items() if k != "columns"}
    samples, rate = sf.read(recording("3_lucas_12"), dtype="float32")
    made = clip_pictures(samples, rate, older)
    assert np.array_equal(
        made, clip_pictures(samples, rate, sound_spec(RATE, SIZE, SECONDS, columns="sampled"))
    )
    assert not np.array_equal(made, clip_pictures(samples, rate, sound_spec(RATE, SIZE, SECONDS)))
    with pytest.raises(ValueError, match="columns must be one of"):
        sound_spec(RATE, SIZE, SECONDS, columns="averaged")
