"""Answer a refused upload so that every client can read the answer: drain, then close (a lingering close).

## A server that answers early (413: the upload is too big) and closes at once leaves the rest of the
## upload unread in its socket. Closing a socket with unread data makes the kernel send a reset (RST),
## and the client's kernel then throws away the answer it had received: clients that send the whole body
## before they read (Python's urllib and requests, most scripts) see "connection reset" instead of the
## 413. RFC 9112 section 9.6 asks for a close in stages instead, as nginx does: stop handing the body
## to the application, keep reading and discarding it for a bounded time and byte count, then answer
## and close. This middleware does that for every answer given before the request's body was read:
## the body is discarded as it arrives (memory stays bounded), at most ``max_bytes`` of it and for at
## most ``max_seconds`` (``idle_seconds`` without a byte ends it too); past a bound it gives up and closes.
##
## A client that asked ``Expect: 100-continue`` and was never told to continue has not sent its body:
## there is nothing to drain, and reading would invite the flood, so the answer goes at once.
"""

from __future__ import annotations

import time

import anyio

CLOSE = (b"connection", b"close")


class LingeringClose:
    """ASGI middleware: drain (and discard) an unread request body, within bounds, before answering."""

    def __init__(self, app, *, max_bytes: int, max_seconds: float = 30.0, idle_seconds: float = 5.0):
        self.app = app
        self.max_bytes = max_bytes  # nginx: lingering_time 30 s, lingering_timeout 5 s
        self.max_seconds = max_seconds
        self.idle_seconds = idle_seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        state = {"done": not _has_body(headers), "asked": False}

        async def tracked_receive():
            state["asked"] = True
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                state["done"] = True
            return message

        async def lingering_send(message):
            if message["type"] == "http.response.start" and not state["done"]:
                waiting = headers.get(b"expect", b"").lower() == b"100-continue" and not state["asked"]
                drained = False if waiting else await self._drain(receive, headers)
                if not drained:  # part of the body is still coming: this connection cannot be reused
                    message = {**message, "headers": [*_without_close(message), CLOSE]}
                state["done"] = True
            await send(message)

        await self.app(scope, tracked_receive, lingering_send)

    async def _drain(self, receive, headers: dict) -> bool:
        """Read and discard the rest of the body; True when it all arrived within the bounds."""
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return False  # more than we would ever read: answer now and close
        seen, deadline = 0, time.monotonic() + self.max_seconds
        while seen <= self.max_bytes:
            wait = min(self.idle_seconds, deadline - time.monotonic())
            if wait <= 0:
                return False
            with anyio.move_on_after(wait):
                message = await receive()
                if message["type"] != "http.request":
                    return False  # the client went away
                seen += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return seen <= self.max_bytes
                continue
            return False  # idle for too long
        return False


def _has_body(headers: dict) -> bool:
    length = headers.get(b"content-length", b"0")
    return b"transfer-encoding" in headers or (length.isdigit() and int(length) > 0)


def _without_close(message) -> list:
    return [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
