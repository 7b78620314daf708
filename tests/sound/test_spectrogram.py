"""The hand-written log-mel spectrogram against librosa's, on real recordings, to a stated tolerance.

Tolerance: relative 1e-4 on the mel power (librosa keeps its filter bank in float32, so the two agree to
about 1e-7; in float64 both ways, to about 1e-14); 1e-3 dB on the decibels.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnzero.datasets import spectrogram as sg

librosa = pytest.importorskip("librosa", reason="librosa is the reference (pip install librosa)")
sf = pytest.importorskip("soundfile")

CASES = [  # (file, n_fft, hop, n_mels, fmin, fmax)
    ("7_jackson_32", 256, 80, 32, 0.0, None),
    ("0_george_0", 256, 37, 40, 0.0, None),
    ("3_yweweler_12", 512, 160, 64, 50.0, 3800.0),
    ("9_lucas_49", 128, 64, 16, 0.0, 2000.0),
]


@pytest.mark.parametrize(("name", "n_fft", "hop", "n_mels", "fmin", "fmax"), CASES)
def test_mel_power_matches_librosa(recording, name, n_fft, hop, n_mels, fmin, fmax):
    samples, rate = sf.read(recording(name))
    ours = sg.mel_power(samples, rate, n_fft, hop, n_mels, fmin, fmax)  # (n_mels, F)
    reference = librosa.feature.melspectrogram(
        y=samples, sr=rate, n_fft=n_fft, hop_length=hop, n_mels=n_mels, fmin=fmin, fmax=fmax
    )
    assert ours.shape == reference.shape == (n_mels, 1 + len(samples) // hop)
    floor = 1e-10 * reference.max()  # cells 100 dB under the loudest: below what the picture keeps
    relative = np.abs(ours - reference) / np.maximum(reference, floor)
    assert relative.max() < 1e-4, relative.max()
    db = sg.to_db(ours)
    assert np.abs(db - librosa.power_to_db(reference, ref=np.max, amin=1e-10, top_db=80.0)).max() < 1e-3


def test_each_step_matches_its_reference(recording):
    """Filters (float64 in both), window and the mel scale, one by one."""
    ours = sg.mel_filters(8000, 256, 32)
    reference = librosa.filters.mel(sr=8000, n_fft=256, n_mels=32, dtype=np.float64)
    assert np.abs(ours - reference).max() < 1e-12
    from scipy.signal import get_window

    assert np.allclose(sg.hann(256), get_window("hann", 256, fftbins=True), atol=1e-15)
    hz = np.array([0, 200, 999, 1000, 1001, 2500, 4000.0])
    assert np.allclose(sg.hz_to_mel(hz), librosa.hz_to_mel(hz), rtol=1e-12)
    assert np.allclose(sg.mel_to_hz(sg.hz_to_mel(hz)), hz, rtol=1e-12)
    samples, rate = sf.read(recording("7_jackson_32"))
    framed = sg.frames(samples, 256, 80)  # (F, 256)
    assert framed.shape == (1 + len(samples) // 80, 256)
    assert np.array_equal(framed[3], samples[3 * 80 - 128 : 3 * 80 + 128])  # frame t centred on t * hop


def test_the_decibels_are_relative_to_the_loudest_cell():
    power = np.array([[1.0, 10.0], [1e-12, 100.0]])
    assert np.allclose(sg.to_db(power), [[-20.0, -10.0], [-80.0, 0.0]])
    assert np.allclose(sg.to_db(power * 1000), sg.to_db(power))  # a shout and a whisper: the same picture
