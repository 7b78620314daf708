"""A sound becomes a picture: the log-mel spectrogram, by hand in NumPy (the lesson of `nnzero lesson sound`).

    from nnzero.datasets.spectrogram import log_mel
    db = log_mel(samples, 8000, n_fft=256, hop=80, n_mels=32)   # (32 bands, frames), decibels, max 0

Five steps, each a function below: framing (cut the wave into short overlapping frames), a window
(taper each frame's ends), the FFT (each frame's spectrum: how much of every frequency it holds),
the mel filter bank (sum the spectrum into bands spaced as the ear hears pitch), and the log (the
ear hears loudness in ratios, so decibels). The tests check ``mel_power`` against librosa's
``melspectrogram`` (Slaney mel scale and norm, periodic Hann window, centred frames padded with zeros)
to a relative error of 1e-4 (measured: 1e-7 against librosa's float32 filter bank, 1e-14 against float64).
"""

from __future__ import annotations

import numpy as np


def frames(samples: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Overlapping frames of ``n_fft`` samples, one every ``hop`` samples: (F, n_fft), F = 1 + n // hop.

    ## Speech changes from one sound to the next within tens of milliseconds, but over 20-40 ms it is
    ## nearly steady: a short frame can be described by one spectrum. Frames overlap (hop < n_fft) so
    ## that nothing falls between them. Padding n_fft / 2 zeros at both ends centres frame t on sample
    ## t * hop (librosa's center=True), so frame t describes the moment t * hop / rate seconds.
    """
    padded = np.pad(samples, n_fft // 2)  # (n + n_fft,)
    count = 1 + len(samples) // hop
    index = np.arange(n_fft)[None, :] + hop * np.arange(count)[:, None]  # (F, n_fft)
    return padded[index]  # (F, n_fft)


def hann(n: int) -> np.ndarray:
    """The periodic Hann window (n,): 0.5 - 0.5 cos(2 pi k / n), zero at the first sample.

    ## Cutting a frame out of a wave makes sharp edges, and sharp edges are made of every frequency:
    ## the spectrum would smear. The window fades each frame in and out, so only the sound's own
    ## frequencies stand out.
    """
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)  # (n,)


def power_spectrum(windowed: np.ndarray) -> np.ndarray:
    """|FFT|^2 of each frame: (F, n_fft // 2 + 1), the power at frequencies 0, rate / n_fft, ... rate / 2.

    ## The Fourier transform writes a frame as a sum of sines; bin k is the sine that fits k times
    ## into the frame, frequency k * rate / n_fft. A real signal's spectrum is symmetric, so rfft keeps
    ## only the first half; the squared magnitude is the power, the phase is thrown away.
    """
    return np.abs(np.fft.rfft(windowed, axis=-1)) ** 2  # (F, n_fft // 2 + 1)


def hz_to_mel(hz):
    """Slaney's mel scale (librosa's default): linear up to 1 kHz (3 mels per 200 Hz), logarithmic above.

    ## The ear tells 100 Hz from 200 Hz easily, 5,000 from 5,100 Hz hardly at all: pitch is heard
    ## roughly linearly at low frequencies and logarithmically at high ones. Mels count steps as heard.
    """
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * (200.0 / 3))


def mel_filters(
    rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """The mel filter bank (n_mels, n_fft // 2 + 1): triangles equally spaced in mels, each of area ~1.

    ## Band m rises from the centre of band m-1 to its own centre and falls to the centre of band m+1.
    ## Equal spacing in mels means narrow bands at low frequencies and wide ones at high frequencies.
    ## Each triangle is divided by its width in Hz (Slaney's norm) so a wide band does not count
    ## more just for covering more bins.
    """
    fmax = rate / 2 if fmax is None else fmax
    bins = np.linspace(0, rate / 2, 1 + n_fft // 2)  # (K,) frequency of each FFT bin
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))  # (n_mels + 2,)
    widths = np.diff(edges)  # (n_mels + 1,)
    ramps = edges[:, None] - bins[None, :]  # (n_mels + 2, K)
    rising = -ramps[:-2] / widths[:-1, None]  # (n_mels, K)
    falling = ramps[2:] / widths[1:, None]  # (n_mels, K)
    triangles = np.maximum(0.0, np.minimum(rising, falling))  # (n_mels, K)
    return triangles * (2.0 / (edges[2:] - edges[:-2]))[:, None]  # (n_mels, K)


def mel_power(
    samples: np.ndarray, rate: int, n_fft: int, hop: int, n_mels: int, fmin: float = 0.0, fmax=None
):
    """The mel spectrogram (n_mels, F): power in each mel band of each frame (librosa.feature.melspectrogram)."""
    framed = frames(np.asarray(samples, dtype=np.float64), n_fft, hop)  # (F, n_fft)
    spectrum = power_spectrum(framed * hann(n_fft))  # (F, K)
    return mel_filters(rate, n_fft, n_mels, fmin, fmax) @ spectrum.T  # (n_mels, F)


def to_db(power: np.ndarray, top_db: float = 80.0, amin: float = 1e-10) -> np.ndarray:
    """Decibels relative to the loudest cell: 10 log10(p / max), at most 0, at least -top_db.

    ## Loudness is heard in ratios: twice the power always sounds "a bit louder", whatever the start.
    ## The log turns ratios into steps; relative to the loudest cell, a whisper and a shout of the same
    ## word give the same picture; below -top_db everything counts as silence.
    """
    db = 10.0 * np.log10(np.maximum(power, amin))  # (..., F)
    db -= db.max(initial=10.0 * np.log10(amin))
    return np.maximum(db, -top_db)


def log_mel(samples, rate: int, n_fft: int, hop: int, n_mels: int, top_db: float = 80.0, fmin=0.0, fmax=None):
    """The whole lesson in one call: (n_mels, F) decibels in [-top_db, 0]."""
    return to_db(mel_power(samples, rate, n_fft, hop, n_mels, fmin, fmax), top_db)
