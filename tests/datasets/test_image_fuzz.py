"""Bytes of any kind at every door (Hypothesis): arbitrary bytes, truncated files, absurd sizes, every PIL
mode, EXIF rotations and animations, fed to the preparation that predict, serve and the data loaders use.
Each gives a prepared array of the right shape or a clean ``DataError``; the web app a 200 or a 4xx JSON."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from nnzero.datasets.digit_photos import prepare_canvas, prepare_digit
from nnzero.datasets.images import open_image, prepare_photo, to_mode
from nnzero.errors import DataError

FAST = settings(
    max_examples=60,
    deadline=timedelta(seconds=20),  # a bound against hangs, not a speed goal
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SEEN: Counter = Counter()  # (kind, answer) -> count, printed at the end (pytest -s)

# every mode, in a format that can hold it
MODES = {
    "1": ("PNG", "TIFF", "BMP"),
    "L": ("PNG", "JPEG", "WEBP", "GIF", "BMP"),
    "LA": ("PNG",),
    "P": ("PNG", "GIF"),
    "RGB": ("PNG", "JPEG", "WEBP", "BMP", "TIFF"),
    "RGBA": ("PNG", "WEBP", "TIFF"),
    "CMYK": ("JPEG", "TIFF"),
    "I;16": ("PNG", "TIFF"),
    "F": ("TIFF",),
}


def make_image(mode: str, width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    if mode == "F":
        return Image.fromarray(rng.normal(0, 1000, (height, width)).astype(np.float32))  # mode F
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, (height, width), dtype=np.uint16))  # mode I;16
    rgba = Image.fromarray(rng.integers(0, 256, (height, width, 4), dtype=np.uint8), "RGBA")
    if mode == "P":
        image = rgba.convert("RGB").quantize(16)
        image.info["transparency"] = 0  # a palette with a transparent colour
        return image
    return rgba.convert(mode)


def encode(image: Image.Image, fmt: str, **extra) -> bytes:
    buffer = io.BytesIO()
    kwargs = {"transparency": image.info["transparency"]} if "transparency" in image.info else {}
    image.save(buffer, format=fmt, **kwargs, **extra)
    return buffer.getvalue()


def prepare_everywhere(data: bytes, kind: str) -> None:
    """What predict, serve and the loaders do with a file; a clean DataError is an answer too."""
    try:
        image = open_image(data, name=f"<{kind}>")
    except DataError as e:
        assert str(e)  # a message that names the problem
        SEEN[(kind, "DataError")] += 1
        return
    for channels in (1, 3):
        assert to_mode(image, channels).mode == ("L" if channels == 1 else "RGB")
        assert prepare_photo(image, 32, channels).shape == (channels, 32, 32)
    for prepare in (prepare_digit, prepare_canvas):
        try:
            digit = prepare(image)
            assert digit.shape == (28, 28) and digit.dtype == np.uint8
        except DataError as e:  # "no ink found": noise holds no digit
            assert "ink" in str(e)
    SEEN[(kind, "prepared")] += 1


@FAST
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data):
    prepare_everywhere(data, "arbitrary bytes")


@FAST
@given(
    st.sampled_from(sorted(MODES)),
    st.integers(1, 48),
    st.integers(1, 48),
    st.integers(0, 2**16),
    st.data(),
)
def test_every_mode_in_every_format_whole_or_truncated(mode, width, height, seed, data):
    fmt = data.draw(st.sampled_from(MODES[mode]))
    blob = encode(make_image(mode, width, height, seed), fmt)
    prepare_everywhere(blob, f"{mode} {fmt}")
    cut = data.draw(st.integers(0, len(blob) - 1))
    prepare_everywhere(blob[:cut], "truncated")


@FAST
@given(st.integers(1, 8), st.integers(1, 40), st.integers(1, 40), st.integers(0, 2**16))
def test_exif_rotations(orientation, width, height, seed):
    image = make_image("RGB", width, height, seed)
    exif = Image.Exif()
    exif[0x0112] = orientation
    blob = encode(image, "JPEG", exif=exif.tobytes())
    upright = open_image(blob)
    turned = orientation in (5, 6, 7, 8)
    assert upright.size == ((height, width) if turned else (width, height))
    prepare_everywhere(blob, "EXIF rotation")


@FAST
@given(st.sampled_from(["GIF", "WEBP"]), st.integers(2, 5), st.integers(4, 40), st.integers(0, 2**16))
def test_animations_use_the_first_frame(fmt, frames, side, seed):
    images = [make_image("RGB", side, side, seed + i) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format=fmt, save_all=True, append_images=images[1:], duration=50, loop=0)
    prepare_everywhere(buffer.getvalue(), f"animated {fmt}")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims any size in a few bytes (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = zlib.compress(b"\0" * 64)
    body += struct.pack(">I", len(idat)) + b"IDAT" + idat + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    return b"\x89PNG\r\n\x1a\n" + body


@FAST
@given(st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1))
def test_absurd_dimensions_are_refused_before_decoding(width, height):
    prepare_everywhere(png_header_only(width, height), "absurd dimensions")


@pytest.mark.parametrize("width, height", [(1, 20_000), (20_000, 1), (3, 60_000)])
def test_extreme_strips_are_prepared_in_bounded_memory(width, height):
    image = make_image("L", width, height, 0)
    for channels in (1, 3):
        assert prepare_photo(image, 32, channels).shape == (channels, 32, 32)
    SEEN[("extreme strip", "prepared")] += 1


@pytest.fixture(scope="module")
def client(small_checkpoint):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with")
        from fastapi.testclient import TestClient
    from nnzero.serving.app import create_app

    with TestClient(create_app([small_checkpoint]), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.slow  # builds a served model (about 6 s)
@settings(FAST, max_examples=40)
@given(
    st.one_of(
        st.binary(max_size=2048),
        st.builds(
            lambda mode, w, h, seed, cut: encode(make_image(mode, w, h, seed), MODES[mode][0])[
                : None if cut == 0 else -cut
            ],
            st.sampled_from(sorted(MODES)),
            st.integers(1, 64),
            st.integers(1, 64),
            st.integers(0, 2**16),
            st.integers(0, 40),
        ),
        st.builds(png_header_only, st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1)),
    ),
    st.sampled_from(["multipart", "raw", "canvas"]),
)
def test_the_web_app_answers_every_upload_with_a_prediction_or_a_4xx(client, data, how):
    import base64

    if how == "multipart":
        answer = client.post("/api/predict/small", files={"image": ("x", data, "application/octet-stream")})
    elif how == "raw":
        answer = client.post("/api/predict/small", content=data, headers={"Content-Type": "image/png"})
    else:
        answer = client.post("/api/predict/small", json={"canvas": base64.b64encode(data).decode()})
    assert answer.status_code in (200, 415, 422), answer.text
    assert ("top" in answer.json()) if answer.status_code == 200 else answer.json()["error"]
    SEEN[(f"web {how}", str(answer.status_code))] += 1


def test_zz_tally():
    """Not a check: prints what the inputs above were answered with (run with -s)."""
    for (kind, answer), n in sorted(SEEN.items()):
        print(f"fuzz  {kind:24s} {answer:10s} {n}")
