"""A refused upload reaches every client as the JSON 413, also clients that send the whole body before
they read (urllib, requests, a plain socket): the server drains the rest, within bounds, then closes."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from nnzero.serving.app import create_app

from ._web import MNIST_7, live_server

MB = 1024 * 1024
TOO_BIG = "the upload is larger than the limit of 10 MB"


@pytest.fixture(scope="module")
def url(small_checkpoint):
    with live_server(create_app([small_checkpoint])) as base:
        yield base


def raw_post(url: str, head: str, chunks, read_first: bool = False) -> tuple[bytes, bytes]:
    """Send a request over a plain socket, the whole body before reading a byte; the answer's head and body."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as s:
        s.sendall(head.encode())
        for chunk in chunks:
            s.sendall(chunk)
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while data := s.recv(65536):
            answer += data
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


def healthy(url: str) -> bool:
    with urllib.request.urlopen(url + "/healthz", timeout=10) as r:
        return json.load(r)["status"] == "ok"


def test_a_raw_socket_that_sends_everything_first_reads_the_413(url):
    body = b"\x89PNG" + b"\0" * (11 * MB)
    head, answer = raw_post(
        url,
        f"POST /api/predict/small HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
        f"Content-Length: {len(body)}\r\n\r\n",
        [body[i : i + MB] for i in range(0, len(body), MB)],
    )
    assert head.startswith(b"HTTP/1.1 413") and b"connection: close" in head.lower()
    assert TOO_BIG in json.loads(answer)["error"]
    # chunked, no length given: refused while reading, then the rest drained
    head, answer = raw_post(
        url,
        "POST /api/predict/small HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
        [b"%x\r\n" % MB + b"\0" * MB + b"\r\n" for _ in range(12)] + [b"0\r\n\r\n"],
    )
    assert head.startswith(b"HTTP/1.1 413") and TOO_BIG in json.loads(answer)["error"]
    assert healthy(url)


def test_urllib_and_requests_read_the_413(url):
    request = urllib.request.Request(
        url + "/api/predict/small", data=b"\xff" * (11 * MB), headers={"Content-Type": "image/jpeg"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 413 and TOO_BIG in json.load(refused.value)["error"]
    requests = pytest.importorskip("requests")
    answer = requests.post(
        url + "/api/predict/small",
        files={"image": ("big.jpg", b"\xff" * (11 * MB), "image/jpeg")},
        timeout=60,
    )
    assert answer.status_code == 413 and TOO_BIG in answer.json()["error"]
    # an unknown model, answered before the body is read: drained too, and the connection stays usable
    session = requests.Session()
    unknown = session.post(url + "/api/predict/nope", data=MNIST_7.read_bytes() * 40, timeout=60)
    assert unknown.status_code == 404 and "small" in unknown.json()["error"]
    again = session.post(
        url + "/api/predict/small", files={"image": ("7.png", MNIST_7.read_bytes())}, timeout=60
    )
    assert again.status_code == 200 and again.json()["top"][0]["label"] == "7"


def test_expect_100_continue_gets_the_413_without_sending_the_body(url):
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as s:
        s.sendall(
            b"POST /api/predict/small HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
            b"Content-Length: 11534336\r\nExpect: 100-continue\r\n\r\n"
        )
        answer = b""
        while data := s.recv(65536):
            answer += data
    assert answer.startswith(b"HTTP/1.1 413") and b"100 Continue" not in answer


def test_a_flood_is_bounded_and_the_server_goes_on(url):
    """Past the drain bound (2x the limit) the server stops reading and closes; memory stays flat."""
    resource = pytest.importorskip("resource")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    chunks = (b"%x\r\n" % MB + b"\0" * MB + b"\r\n" for _ in range(200))  # 200 MB, no length
    try:
        head, _ = raw_post(
            url,
            "POST /api/predict/small HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
            "Transfer-Encoding: chunked\r\n\r\n",
            chunks,
        )
        assert head.startswith(b"HTTP/1.1 413")
    except (ConnectionResetError, BrokenPipeError):
        pass  # closed past the bound: a flood's sender may see a reset, as nginx gives it
    sent = sum(1 for _ in chunks)  # what the server never had to read
    assert sent > 100
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 64, f"peak memory grew {grown_mb:.0f} MB during a 200 MB flood"
    assert healthy(url)
