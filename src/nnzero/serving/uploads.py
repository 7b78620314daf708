"""Reading an image out of an HTTP request, with the size limit enforced while reading.

Three ways to send a picture to ``POST /api/predict/{model}``:

- ``multipart/form-data`` with the file in a field named ``image`` (what an HTML form and
  ``curl -F image=@digit.png`` send);
- ``application/json`` ``{"canvas": "data:image/png;base64,..."}`` (what the page's drawing canvas sends;
  bare base64 without the ``data:`` prefix is accepted too);
- the raw file as the body with ``Content-Type: image/png`` (``image/jpeg``, ...).

A sound model takes a sound file the same ways: a multipart upload (field ``image`` or ``audio``) or the raw
body with ``Content-Type: audio/wav`` (``audio/flac``, ``audio/ogg``, ``audio/mpeg``, ...).

The body is counted as it arrives, so a client that lies in ``Content-Length`` or sends no length at
all (chunked) is stopped at the limit all the same. Nothing is unpickled; multipart file parts are
spooled by Starlette to the system temp dir and nowhere else.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from PIL import Image
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from nnzero.i18n import tr

MAX_BYTES = 10 * 1024 * 1024  # 10 MB: any phone photo fits, a flood does not


class RequestError(Exception):
    """A bad request: an HTTP status code and a message for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Payload:
    data: bytes  # the image file's bytes
    name: str  # the upload's file name, or "<canvas>"
    canvas: bool  # drawn on the page's canvas (so: a digit drawn as strokes, not a photo)


def too_large(limit: int) -> RequestError:
    return RequestError(
        413,
        tr(
            "the upload is larger than the limit of {mb:g} MB; send a smaller image",
            "上传的文件超过 {mb:g} MB 的上限; 请发送更小的图片",
            mb=limit / 1024 / 1024,
        ),
    )


def check_declared_length(request: Request, limit: int) -> None:
    """Refuse at once when the client says in advance that the body is too big."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)


async def _limited(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body's chunks, raising 413 as soon as more than ``limit`` bytes have arrived."""
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise too_large(limit)
        yield chunk


async def read_payload(request: Request, limit: int = MAX_BYTES) -> Payload:
    """The image a client sent, in any of the three forms above; RequestError otherwise."""
    check_declared_length(request, limit)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        return await _from_multipart(request, limit)
    body = b"".join([chunk async for chunk in _limited(request, limit)])
    if kind == "application/json":
        return _from_json(body)
    if kind.startswith(("image/", "audio/")) or kind == "application/octet-stream":
        return Payload(body, "<body>", canvas=False)
    raise RequestError(
        415,
        tr(
            'send the image as multipart/form-data (field \'image\'), as JSON {{"canvas": "data:image/png;base64,..."}}'
            " or as the raw body with Content-Type image/...; got Content-Type {kind!r}",
            '请以 multipart/form-data (字段 \'image\')、JSON {{"canvas": "data:image/png;base64,..."}}'
            " 或 Content-Type 为 image/... 的原始数据发送图片; 收到的 Content-Type 是 {kind!r}",
            kind=kind or "(none)",
        ),
    )


@contextlib.asynccontextmanager
async def _form(request: Request, limit: int, max_files: int):
    """The parsed multipart form (400 if malformed), closed (its spooled files deleted) afterwards."""
    parser = MultiPartParser(request.headers, _limited(request, limit), max_files=max_files, max_fields=16)
    try:
        form = await parser.parse()
    except MultiPartException as e:
        raise RequestError(400, tr("bad multipart body: {e}", "multipart 数据有误: {e}", e=e)) from None
    try:
        yield form
    finally:
        await form.close()


async def _from_multipart(request: Request, limit: int) -> Payload:
    async with _form(request, limit, max_files=4) as form:
        upload = (
            form.get("image")
            or form.get("audio")
            or next((v for v in form.values() if hasattr(v, "read")), None)
        )
        if upload is None or not hasattr(upload, "read"):
            raise RequestError(
                422,
                tr(
                    "no file in the form: send the image in a field named 'image'",
                    "表单中没有文件: 请把图片放在名为 'image' 的字段中",
                ),
            )
        return Payload(await upload.read(), upload.filename or "<upload>", canvas=False)


async def read_files(
    request: Request, limit: int = MAX_BYTES, field: str = "file", max_files: int = 64
) -> list[Payload]:
    """Every file a client sent: multipart/form-data (one or more parts named ``field``) or the raw body
    (Content-Type image/...); 413 past ``limit`` bytes in all, 415 for another Content-Type, 422 for none."""
    check_declared_length(request, limit)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind.startswith("image/") or kind == "application/octet-stream":
        body = b"".join([chunk async for chunk in _limited(request, limit)])
        return [Payload(body, "<body>", canvas=False)]
    if kind != "multipart/form-data":
        raise RequestError(
            415,
            tr(
                "send the images as multipart/form-data (one or more fields '{field}'), or one image as the "
                "raw body with Content-Type image/...; got Content-Type {kind!r}",
                "请以 multipart/form-data (一个或多个 '{field}' 字段) 发送图片, 或以 Content-Type 为 image/... "
                "的原始数据发送一张; 收到的 Content-Type 是 {kind!r}",
                field=field,
                kind=kind or "(none)",
            ),
        )
    async with _form(request, limit, max_files) as form:
        uploads = [v for v in form.getlist(field) if hasattr(v, "read")]
        if not uploads:
            raise RequestError(
                422, tr("no file in the form field '{field}'", "表单字段 '{field}' 中没有文件", field=field)
            )
        return [Payload(await u.read(), u.filename or "<upload>", canvas=False) for u in uploads]


def _from_json(body: bytes) -> Payload:
    try:
        canvas = json.loads(body)["canvas"]
        _, _, encoded = canvas.rpartition(",")  # "data:image/png;base64,AAAA" or just "AAAA"
        data = base64.b64decode(encoded, validate=True)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise RequestError(
            422,
            tr(
                'expected JSON {"canvas": "data:image/png;base64,..."} (an image as a base64 data URL)',
                '需要 JSON {"canvas": "data:image/png;base64,..."} (以 base64 data URL 表示的图片)',
            ),
        ) from None
    return Payload(data, "<canvas>", canvas=True)


def recognised_format(data: bytes) -> bool:
    """Whether the first bytes match an image format Pillow knows (PNG, JPEG, GIF, WebP, BMP, TIFF ...).

    Tells "this is not an image at all" (415) apart from "an image, but damaged" (422).
    """
    Image.init()
    prefix = data[:64]
    for accept in (entry[1] for entry in Image.OPEN.values()):
        try:
            if accept is not None and accept(prefix):
                return True
        except Exception:  # noqa: BLE001 - a plugin's sniffing function choking on odd bytes means "not mine"
            continue
    return False


def png_data_url(pixels) -> str:
    """uint8 (C, H, W) as a PNG data URL the page can show (what the network saw)."""
    array = pixels[0] if pixels.shape[0] == 1 else pixels.transpose(1, 2, 0)  # (H, W) or (H, W, 3)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
