"""A sound model served: real recordings answered through POST /api/predict/{model}, the listen view
offered, and every kind of bad sound refused with its status and a clear message."""

from __future__ import annotations

import io

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # trains a sound model once (about 15 s)
fastapi = pytest.importorskip("fastapi")
sf = pytest.importorskip("soundfile")


@pytest.fixture(scope="module")
def client(sound_run, small_checkpoint):
    from fastapi.testclient import TestClient

    from nnzero.serving.app import create_app

    app = create_app([f"digits-heard={sound_run.checkpoint}", f"drawn={small_checkpoint}"])
    with TestClient(app) as c:
        yield c


def _wav(samples, rate, channels=1, fmt="WAV") -> bytes:
    buffer = io.BytesIO()
    sf.write(
        buffer,
        np.repeat(np.asarray(samples)[:, None], channels, 1) if channels > 1 else samples,
        rate,
        format=fmt,
    )
    return buffer.getvalue()


def test_real_recordings_are_named(client, fsdd_data):
    """Ten recordings from FSDD's test takes, one per digit, as uploads, raw bodies and at 44.1 kHz."""
    from nnzero.datasets.audio import resample

    right = 0
    for digit, speaker in zip(range(10), ["george", "jackson", "lucas", "nicolas", "yweweler"] * 2):
        path = fsdd_data / "recordings" / f"{digit}_{speaker}_{digit % 5}.wav"
        if digit % 3 == 0:
            answer = client.post(
                "/api/predict/digits-heard", files={"audio": (path.name, path.read_bytes(), "audio/wav")}
            )
        elif digit % 3 == 1:
            answer = client.post(
                "/api/predict/digits-heard?top=3",
                content=path.read_bytes(),
                headers={"Content-Type": "audio/wav"},
            )
        else:
            samples, rate = sf.read(path, dtype="float32")
            body = _wav(resample(samples, rate, 44100), 44100, channels=2, fmt="FLAC")
            answer = client.post(
                "/api/predict/digits-heard", content=body, headers={"Content-Type": "audio/flac"}
            )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        right += body["top"][0]["label"] == str(digit)
        assert body["windows"] == 1 and body["input"].startswith("data:image/png;base64,")
    assert right >= 9, right


def test_the_listen_view_is_offered_and_describes_the_model(client):
    views = [v["name"] for v in client.get("/api/views").json()]
    assert views == ["predict", "listen"]
    models = {m["name"]: m for m in client.get("/api/models").json()}
    assert models["digits-heard"]["input"] == {"kind": "sound", "channels": 1, "size": 32}
    assert models["digits-heard"]["classes"] == [str(d) for d in range(10)]
    assert models["digits-heard"]["unknown"] is False  # a sound model never answers "unknown"
    assert models["drawn"]["unknown"] is True


def test_a_long_clip_is_answered_on_all_its_windows(client, fsdd_data, sound_run):
    """Ten eights in a row (about 4 s): cut into half-overlapping windows whose probabilities are averaged."""
    import nnzero

    paths = sorted((fsdd_data / "recordings").glob("8_nicolas_1?.wav"))
    clip = _wav(np.concatenate([sf.read(p, dtype="float32")[0] for p in paths]), 8000)
    answer = client.post(
        "/api/predict/digits-heard?top=10", content=clip, headers={"Content-Type": "audio/wav"}
    )
    assert answer.status_code == 200
    predictor = nnzero.load(sound_run.checkpoint)
    pictures = predictor.prepare_sound(clip)  # (W, 1, 32, 32)
    assert answer.json()["windows"] == len(pictures) >= 3
    mean = predictor.probabilities(pictures).mean(axis=0)
    assert {t["label"]: t["prob"] for t in answer.json()["top"]} == pytest.approx(
        {c: float(p) for c, p in zip(predictor.classes, mean)}, abs=1e-5
    )


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"hello, this is text and not a sound at all" * 5, 415, "not a sound file"),
        (b"", 415, "not a sound file"),
        ("truncated", 422, "truncated"),
        ("zero", 422, "0 samples"),
        ("silent", 422, "silent"),
        ("six", 422, "6 channels"),
        ("fast", 422, "192,000 Hz"),
        ("ten-minutes", 422, "longer than the limit of 300"),
        ("png", 415, "listens"),
    ],
    ids=[
        "text",
        "empty",
        "truncated",
        "zero-samples",
        "silent",
        "6-channels",
        "192kHz",
        "10-minutes",
        "an-image",
    ],
)
def test_bad_sound_is_refused_clearly(client, fsdd_data, body, status, words):
    wav = (fsdd_data / "recordings" / "3_lucas_0.wav").read_bytes()
    made = {
        "truncated": wav[: len(wav) // 2],
        "zero": _wav(np.zeros(0, np.float32), 8000),
        "silent": _wav(np.zeros(8000, np.float32), 8000),
        "six": _wav(np.full(800, 0.1, np.float32), 8000, channels=6),
        "fast": _wav(np.full(800, 0.1, np.float32), 192000),
        "ten-minutes": _wav(np.full(8000 * 600, 0.1, np.float32), 8000, fmt="FLAC"),
    }
    if body == "png":
        from ._web import MNIST_7

        body = MNIST_7.read_bytes()
    answer = client.post(
        "/api/predict/digits-heard", content=made.get(body, body), headers={"Content-Type": "audio/wav"}
    )
    assert answer.status_code == status, answer.text
    assert words in answer.json()["error"]


def test_the_limits_hold_for_sound_too(client, fsdd_data):
    big = b"RIFF" + b"\0" * (10 * 1024 * 1024 + 10)
    assert (
        client.post(
            "/api/predict/digits-heard", content=big, headers={"Content-Type": "audio/wav"}
        ).status_code
        == 413
    )
    wav = (fsdd_data / "recordings" / "3_lucas_0.wav").read_bytes()
    drawn = client.post("/api/predict/drawn", content=wav, headers={"Content-Type": "audio/wav"})
    assert drawn.status_code == 415  # a digit model does not listen
    assert client.get("/healthz").json()["status"] == "ok"  # and the server goes on
