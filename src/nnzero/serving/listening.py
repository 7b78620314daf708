"""A sound model's answer to ``POST /api/predict/{model}``: a recording in, the top classes and the
spectrogram the network heard out, with the same limits and clear errors as for images.

415: not a sound file (nor anything libsndfile knows); 422: a sound it cannot use (damaged or cut off,
0 samples, silent, more than 2 channels, a sample rate outside 4-96 kHz, longer than ``MAX_SECONDS``).
The 10 MB limit on the body is the uploads' own (413).
"""

from __future__ import annotations

import io
import time

import numpy as np

from nnzero.errors import DataError
from nnzero.i18n import tr
from nnzero.serving.uploads import Payload, RequestError, png_data_url

MAX_SECONDS = 300.0  # five minutes: a song fits, a 10-minute upload does not
SHOWN_WINDOWS = 8  # the page shows at most this many of a long clip's pictures, side by side


def recognised_sound(data: bytes) -> bool:
    """Whether libsndfile recognises the bytes as a sound format (WAV, FLAC, OGG, MP3, ...), damaged or not."""
    import soundfile

    try:
        soundfile.info(io.BytesIO(data))
        return True
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        return bytes(data[:4]) in (b"RIFF", b"RIFX", b"fLaC", b"OggS", b"ID3\x03", b"ID3\x04")


def heard(pictures: np.ndarray) -> np.ndarray:
    """The first windows' pictures side by side, a white column between them: (1, S, W * (S + 1) - 1)."""
    shown = pictures[:SHOWN_WINDOWS, 0]  # (w, S, S)
    gap = np.full((shown.shape[1], 1), 255, np.uint8)  # (S, 1)
    columns = [part for picture in shown for part in (picture, gap)][:-1]
    return np.concatenate(columns, axis=1)[None]  # (1, S, width)


def predict_sound(name: str, predictor, payload: Payload, k: int) -> dict:
    """The top ``k`` classes of the recording in ``payload`` (its windows' probabilities averaged)."""
    start = time.perf_counter()
    if payload.canvas or not recognised_sound(payload.data):
        raise RequestError(
            415,
            tr(
                "{name}: not a sound file nnzero can read; model {model} listens: send WAV, FLAC, OGG or MP3",
                "{name}: 不是 nnzero 能读取的声音文件; 模型 {model} 识别声音: 请发送 WAV、FLAC、OGG 或 MP3",
                name=payload.name,
                model=name,
            ),
        )
    try:
        pictures = predictor.prepare_sound(
            payload.data, name=payload.name, max_seconds=MAX_SECONDS
        )  # (W, 1, S, S)
    except DataError as e:
        raise RequestError(422, str(e)) from None
    ready = time.perf_counter()
    probs = predictor.probabilities(pictures).mean(axis=0)  # (classes,)
    done = time.perf_counter()
    return {
        "model": name,
        "top": predictor.top(probs, k),
        "ms": round((done - start) * 1000, 2),
        "inference_ms": round((done - ready) * 1000, 2),
        "input": png_data_url(heard(pictures)),
        "windows": int(len(pictures)),
    }
