"""Shared fixtures: the real MNIST files and cat/dog photos, and a local mirror server."""

from __future__ import annotations

import http.server
import os
import socket
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _shared(sub: str) -> Path | None:
    """``$NNZERO_SHARED_DATA/..``, else ``../shared/<sub>`` beside the repo (as CI has it), else beside
    any folder above it (a git worktree in a sub-folder)."""
    if os.environ.get("NNZERO_SHARED_DATA"):
        candidate = Path(os.environ["NNZERO_SHARED_DATA"]).parent / sub
        return candidate if candidate.is_dir() else None
    for base in [REPO, *REPO.parents]:
        candidate = base.parent / "shared" / sub
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    found = _shared("data/mnist")
    if found is None:
        pytest.skip("../shared/data/mnist (the four original MNIST files) not found beside the repo")
    return found


@pytest.fixture(scope="session")
def catsdogs_dir() -> Path:
    found = (
        Path(os.environ["NNZERO_CATSDOGS"])
        if os.environ.get("NNZERO_CATSDOGS")
        else _shared("data/catsdogs/train")
    )
    if found is None or not found.is_dir():
        pytest.skip(
            "cat/dog photos not found: set NNZERO_CATSDOGS or put them in ../shared/data/catsdogs/train"
        )
    return found


class MirrorServer:
    """Serves one folder under several prefixes, each failing its own way:

    /good/ serves the files; /e404/ and /e403/ answer errors; /corrupt/ serves every
    file with one byte flipped; /slow/ sends nothing until the client gives up;
    /stall/ sends the headers and a first piece of the body, then nothing.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.requests: list[str] = []
        self.stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                server.requests.append(self.path)
                _, prefix, name = self.path.split("/", 2)
                if prefix in ("e404", "e403"):
                    self.send_error(int(prefix[1:]))
                    return
                if prefix == "slow":
                    server.stop.wait(5)
                    return
                path = server.folder / name
                if not path.is_file():
                    self.send_error(404)
                    return
                body = bytearray(path.read_bytes())
                if prefix == "corrupt":
                    body[len(body) // 2] ^= 0xFF
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if prefix == "stall":
                    self.wfile.write(body[:1000])
                    self.wfile.flush()
                    server.stop.wait(5)
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, prefix: str) -> str:
        return f"{self.base}/{prefix}/"

    def close(self):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port just freed), so connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    time.sleep(0.01)
    return f"http://127.0.0.1:{port}/mnist/"


@pytest.fixture
def mirror(mnist_dir):
    server = MirrorServer(mnist_dir)
    yield server
    server.close()


@pytest.fixture
def fsdd_mirror():
    """The mirror server over FSDD's real recordings (../shared/data/fsdd/recordings)."""
    found = _shared("data/fsdd/recordings")
    if found is None:
        pytest.skip("../shared/data/fsdd/recordings not found beside the repo")
    server = MirrorServer(found)
    yield server
    server.close()
