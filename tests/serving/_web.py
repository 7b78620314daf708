"""Paths and helpers shared by the web app's tests."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("NNZERO_SHARED_DATA", REPO.parent / "shared" / "data"))
DIGITS = REPO / "tests" / "fixtures" / "digits"
MNIST_7 = DIGITS / "mnist_test_0_7.png"  # MNIST test digit 0 (a 7), exactly as MNIST stores it


def canvas_from_digit(path: Path, side: int = 280) -> str:
    """A real MNIST digit as the page's canvas sends it: dark ink on a transparent 280x280 PNG data URL."""
    ink = Image.open(path).convert("L").resize((side, side), Image.Resampling.BILINEAR)  # white on black
    rgba = Image.new("RGBA", (side, side), (17, 17, 17, 0))
    rgba.putalpha(ink)  ## on a transparent canvas the strokes are the alpha channel
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def decode_data_url(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def y4m_video(
    images: list[Path], out: Path, size: tuple[int, int] = (640, 480), frames_each: int = 15
) -> Path:
    """A Y4M video (what Chromium's fake camera plays: --use-file-for-fake-video-capture) of real photos,
    each fitted into ``size`` on a background of its own border colour and shown for ``frames_each`` frames."""
    width, height = size
    with out.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420jpeg\n".encode())
        for path in images:
            photo = Image.open(path).convert("RGB")
            photo.thumbnail(size)
            border = tuple(int(v) for v in np.median(np.asarray(photo)[[0, -1]].reshape(-1, 3), axis=0))
            frame = Image.new("RGB", size, border)
            frame.paste(photo, ((width - photo.width) // 2, (height - photo.height) // 2))
            y, cb, cr = frame.convert("YCbCr").split()
            half = (width // 2, height // 2)  ## 4:2:0: colour at half the resolution of brightness
            planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
            f.write(b"".join(b"FRAME\n" + planes for _ in range(frames_each)))
    return out


@contextlib.contextmanager
def live_server(app):
    """uvicorn serving ``app`` on a free loopback port, in a thread (as `nnzero serve` runs it); yields the URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
