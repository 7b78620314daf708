"""Reading sound: every supported format from real recordings, resampling, windows of a long clip, and
clear errors for files that are not usable sound."""

from __future__ import annotations

import io

import numpy as np
import pytest

from nnzero.datasets.audio import read_audio, resample, trim_silence
from nnzero.datasets.sound_pictures import clip_pictures, sound_file_pictures, sound_spec, windows
from nnzero.errors import DataError

sf = pytest.importorskip("soundfile", reason='pip install -e ".[sound]"')


def _encoded(samples: np.ndarray, rate: int, fmt: str, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    data = np.repeat(samples[:, None], channels, axis=1) if channels > 1 else samples
    sf.write(buffer, data, rate, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "closeness"), [("WAV", 0.9999), ("FLAC", 0.9999), ("OGG", 0.97), ("MP3", 0.9)]
)
def test_every_format_reads_back_the_recording(recording, tmp_path, fmt, closeness):
    original, rate = sf.read(recording("7_jackson_32"), dtype="float32")
    path = tmp_path / f"seven.{fmt.lower()}"
    path.write_bytes(_encoded(original, rate, fmt))
    samples, got_rate = read_audio(path)
    assert got_rate == rate and samples.dtype == np.float32
    ## lossy codecs add a delay and change the samples a little: compare the best-aligned stretch
    n = min(len(samples), len(original))
    shifts = [np.corrcoef(samples[s : s + n - 2000], original[: n - 2000])[0, 1] for s in range(0, 1200, 1)]
    assert max(shifts) > closeness, (fmt, max(shifts))
    pictures = sound_file_pictures(path, sound_spec(8000, 32, 1.5))
    reference = sound_file_pictures(recording("7_jackson_32"), sound_spec(8000, 32, 1.5))
    assert pictures.shape == reference.shape == (1, 1, 32, 32)
    assert np.abs(pictures.astype(int) - reference).mean() < (2 if fmt in ("WAV", "FLAC") else 25)


def test_stereo_is_mixed_and_any_rate_is_resampled(recording):
    original, rate = sf.read(recording("4_nicolas_3"), dtype="float32")
    high = resample(original, rate, 44100)  # (n * 44100 / 8000,)
    assert abs(len(high) - len(original) * 44100 / 8000) <= 1
    samples, got = read_audio(_encoded(high, 44100, "WAV", channels=2), name="stereo.wav")
    assert got == 44100 and samples.ndim == 1
    back = resample(samples, 44100, 8000)
    n = min(len(back), len(original))
    assert np.corrcoef(back[:n], original[:n])[0, 1] > 0.999  # down again: the same sound
    spec = sound_spec(8000, 32, 1.5)
    assert (
        np.abs(clip_pictures(samples, 44100, spec).astype(int) - clip_pictures(original, 8000, spec)).mean()
        < 3
    )


def test_a_long_clip_is_cut_into_half_overlapping_windows(fsdd_dir):
    """Twelve real recordings in a row (about 5 s): every sample is in a window, windows overlap by half."""
    names = sorted((fsdd_dir / "recordings").glob("*_lucas_7.wav"))[:10]
    clip = np.concatenate([sf.read(p, dtype="float32")[0] for p in names])  # (n,)
    parts = windows(clip, 8000)
    assert len(parts) == int(np.ceil((len(clip) - 8000) / 4000)) + 1
    assert all(len(p) == 8000 for p in parts)
    assert np.array_equal(parts[0], clip[:8000]) and np.array_equal(parts[1], clip[4000:12000])
    assert np.array_equal(parts[-1], clip[-8000:])
    pictures = clip_pictures(clip, 8000, sound_spec(8000, 32, 1.0, fit="window", trim_db=None))
    assert pictures.shape == (len(parts), 1, 32, 32) and pictures.dtype == np.uint8


def test_silence_around_a_word_is_trimmed(recording):
    word, rate = sf.read(recording("2_george_5"), dtype="float32")
    padded = np.concatenate([np.zeros(rate), word, np.zeros(rate // 2)]).astype(np.float32)
    noise = np.random.default_rng(0).normal(0, 1e-4, len(padded)).astype(np.float32)
    trimmed = trim_silence(padded + noise, rate, top_db=40)
    assert len(word) * 0.8 < len(trimmed) < len(word) + 0.1 * rate
    word_picture = clip_pictures(word, rate, sound_spec(8000, 32, 1.5)).astype(int)
    trimmed_picture = clip_pictures(padded + noise, rate, sound_spec(8000, 32, 1.5))
    kept_picture = clip_pictures(padded + noise, rate, sound_spec(8000, 32, 1.5, trim_db=None))
    ## frames are 32 ms: the edges differ by a few of them, the silence (1.5 of 1.9 s) is gone
    assert np.abs(trimmed_picture - word_picture).mean() < np.abs(kept_picture - word_picture).mean() / 4


def _wav_bytes(recording) -> bytes:
    return recording("5_yweweler_20").read_bytes()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda r: _wav_bytes(r)[: len(_wav_bytes(r)) // 2], "truncated"),
        (lambda r: b"RIFX" + _wav_bytes(r)[4:], "not a sound file"),
        (lambda r: b"just some text, not a sound at all\n" * 20, "not a sound file"),
        (lambda r: b"", "empty (0 bytes)"),
        (lambda r: _encoded(np.zeros(0, np.float32), 8000, "WAV"), "0 samples"),
        (lambda r: _encoded(np.zeros(8000, np.float32), 8000, "WAV"), "silent"),
        (lambda r: _encoded(np.full(800, 0.1, np.float32), 8000, "WAV", channels=6), "6 channels"),
        (lambda r: _encoded(np.full(800, 0.1, np.float32), 192000, "WAV"), "192,000 Hz"),
        (lambda r: _encoded(np.full(8000 * 601, 0.1, np.float32), 8000, "FLAC"), "longer than the limit"),
    ],
    ids=[
        "truncated",
        "wrong-header",
        "text",
        "empty",
        "zero-samples",
        "silent",
        "6-channels",
        "192kHz",
        "10-minutes",
    ],
)
def test_bad_sound_gives_a_clear_error(recording, make, message):
    with pytest.raises(DataError) as err:
        sound_file_pictures(make(recording), sound_spec(), name="clip.wav")
    assert str(err.value).startswith("clip.wav: ") and message in str(err.value), str(err.value)
