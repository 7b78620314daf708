"""A clip of any rate and length made into the square grey pictures a sound model sees.

    spec = sound_spec(rate=8000, size=32, seconds=1.0, fit="stretch")
    pictures = clip_pictures(samples, 44100, spec)     # uint8 (W, 1, 32, 32): one picture per window

The picture is the log-mel spectrogram (``spectrogram.py``) drawn as such pictures are drawn: rows are
mel bands, the highest at the top (row 0) and the lowest at the bottom, columns are moments from left to
right, brightness is loudness in decibels relative to the loudest cell, from -top_db (0, black) to 0 dB
(255, white). What the page shows as "what the network heard" is this very array. A checkpoint stores ``spec`` in its input spec
(``input_spec["audio"]``), so a recording is prepared for prediction exactly as the training clips were:

- resampled to ``rate``; the silence before and after the sound cut off (``trim_db``; None keeps it);
- ``fit="stretch"``: a clip no longer than ``seconds`` fills the picture's width whatever its length
  (a word said fast or slowly gives the same picture); ``fit="window"``: the picture is ``seconds``
  wide, a shorter clip sits in its middle with silence around;
- a clip up to twice ``seconds`` long is one window, where it is loudest (a word with room noise around
  it); a longer clip is cut into windows ``seconds`` long, half overlapping, and the model's
  probabilities for the windows are averaged (a song is judged on all of it).
"""

from __future__ import annotations

import numpy as np

from nnzero.datasets.audio import MAX_SECONDS, check_audible, read_audio, resample, trim_silence
from nnzero.datasets.spectrogram import log_mel, mel_power, to_db

FITS = ("stretch", "window")
COLUMNS = ("sampled", "pooled")


def sound_spec(
    rate: int = 8000,
    size: int = 32,
    seconds: float = 1.0,
    fit: str = "stretch",
    trim_db: float | None = 40.0,
    top_db: float = 80.0,
    columns: str = "pooled",
) -> dict:
    """The preparation a sound checkpoint carries (plain types only, as checkpoints require).

    ``columns``: what one column of the picture is. "pooled" (since 2026-12-05): the average power of
    8 ms-spaced frames over the column's whole span, so no moment is left out; "sampled" (checkpoints
    without the key): one 32 ms frame at the column's moment, blind to what falls between two columns'
    frames when they are further apart than that (docs/sound.md measured both on unseen speakers).
    """
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
    if columns not in COLUMNS:
        raise ValueError(f"columns must be one of {COLUMNS}, got {columns!r}")
    ## a frame of about 32 ms (256 samples at 8 kHz, 512 at 16 kHz): long enough to resolve the
    ## harmonics of a voice, short enough for the sound to be steady within it
    n_fft = 1 << max(6, int(np.ceil(np.log2(0.032 * rate))))
    return {
        "rate": int(rate),
        "size": int(size),
        "seconds": float(seconds),
        "fit": fit,
        "trim_db": None if trim_db is None else float(trim_db),
        "top_db": float(top_db),
        "n_fft": n_fft,
        "columns": columns,
    }


def _picture(samples: np.ndarray, spec: dict) -> np.ndarray:
    """One (size, size) uint8 picture of ``samples``, already at spec["rate"]; its width covers all of them."""
    size = spec["size"]
    hop = max(1, len(samples) // (size - 1))  # so that 1 + len // hop >= size frames
    if spec.get("columns", "sampled") == "pooled":
        db = to_db(_pooled_power(samples, spec, hop), spec["top_db"])[::-1]  # (size, size)
    else:
        db = log_mel(samples, spec["rate"], spec["n_fft"], hop, size, spec["top_db"])  # (size, >= size)
        db = db[::-1, :size]  # (size, size)
    return np.rint((db + spec["top_db"]) * (255.0 / spec["top_db"])).astype(np.uint8)  # (size, size)


def _pooled_power(samples: np.ndarray, spec: dict, hop: int) -> np.ndarray:
    """(size bands, size columns) mel power, column c the average of the frames centred within hop / 2 of c * hop.

    ## A 1.5 s picture 32 columns wide puts its columns 48 ms apart, and one 32 ms frame per column
    ## would never look at a third of the sound (a "t" can fall between two frames). Frames every
    ## 8 ms, averaged in power over each column's span, see all of it, with the same 32 ms of
    ## frequency detail.
    """
    size = spec["size"]
    fine = max(1, min(hop, spec["n_fft"] // 4))
    power = mel_power(samples, spec["rate"], spec["n_fft"], fine, size)  # (size, F)
    column = (np.arange(power.shape[1]) * fine + hop // 2) // hop  # (F,) the column each frame falls in
    inside = column < size
    sums = np.zeros((size, size))
    np.add.at(sums.T, column[inside], power[:, inside].T)
    return sums / np.maximum(np.bincount(column[inside], minlength=size), 1)  # (size, size)


def windows(samples: np.ndarray, length: int) -> list[np.ndarray]:
    """Windows of ``length`` samples, each starting half a window after the last; the last one ends at the
    clip's end, so nothing is left out. A clip no longer than ``length`` is one window of itself."""
    if len(samples) <= length:
        return [samples]
    step = max(1, length // 2)
    starts = list(range(0, len(samples) - length + 1, step))
    if starts[-1] != len(samples) - length:
        starts.append(len(samples) - length)
    return [samples[s : s + length] for s in starts]


def loudest(samples: np.ndarray, length: int) -> np.ndarray:
    """The ``length`` samples of ``samples`` that hold the most energy (starts tried every 1/32 of a window)."""
    energy = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])  # (n + 1,)
    starts = np.arange(0, len(samples) - length + 1, max(1, length // 32))  # (k,)
    best = int(starts[np.argmax(energy[starts + length] - energy[starts])])
    return samples[best : best + length]


def clip_pictures(samples: np.ndarray, rate: int, spec: dict) -> np.ndarray:
    """uint8 (W, 1, size, size): the pictures of every window of one clip (W = 1 for a short clip)."""
    samples = resample(np.asarray(samples, np.float32), rate, spec["rate"])  # (n,)
    if spec.get("trim_db") is not None:
        samples = trim_silence(samples, spec["rate"], spec["trim_db"])
    length = max(spec["size"], int(round(spec["seconds"] * spec["rate"])))
    if length < len(samples) <= 2 * length:
        ## a little longer than a window: most likely one sound with noise around that trimming left
        ## (a word recorded in a room); the window where it is loudest, rather than two halves of it
        samples = loudest(samples, length)
    if len(samples) < length and spec["fit"] == "window":
        before = (length - len(samples)) // 2  ## the sound in the middle, silence on both sides
        samples = np.pad(samples, (before, length - len(samples) - before))
    if len(samples) < spec["size"]:  # a click: too short for one sample per column
        samples = np.pad(samples, (0, spec["size"] - len(samples)))
    return np.stack([_picture(w, spec)[None] for w in windows(samples, length)])  # (W, 1, size, size)


def decibels(pictures: np.ndarray, spec: dict) -> np.ndarray:
    """The decibels a picture's grey levels stand for (what the lesson and the page show on the scale)."""
    return pictures.astype(np.float32) * (spec["top_db"] / 255.0) - spec["top_db"]


def sound_file_pictures(
    source,
    spec: dict,
    *,
    name: str | None = None,
    max_bytes: int | None = None,
    max_seconds: float = MAX_SECONDS,
) -> np.ndarray:
    """uint8 (W, 1, size, size) of a sound file (a path or its bytes); DataError if unreadable or silent."""
    samples, rate = read_audio(source, name=name, max_bytes=max_bytes, max_seconds=max_seconds)
    check_audible(samples, name or str(source))
    return clip_pictures(samples, rate, spec)
