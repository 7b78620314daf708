"""The Teach view's API: the project's classes and examples, Train, and the trained model served at once.

Only a server started with a project (``nnzero teach DIR``, ``nnzero serve --teach DIR``) has these
routes. Reads are open; every write (adding or deleting examples, training) needs the token the server
printed at start-up, as ``?token=`` or ``Authorization: Bearer``: on a classroom network it keeps other
machines out, and on this one it keeps out any web page the browser visits (a form on another site can
post to 127.0.0.1, but cannot read the token from this page's address).
"""

from __future__ import annotations

import hmac
from typing import Annotated

import anyio
from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from nnzero.errors import DataError
from nnzero.i18n import tr
from nnzero.serving import schema, teach_schema
from nnzero.serving.routes import View
from nnzero.serving.service import Service
from nnzero.serving.teach import Busy, ProjectFull, Teacher
from nnzero.serving.teach.names import BURST, EXAMPLE_ID, MAX_NAME
from nnzero.serving.uploads import RequestError, read_files, recognised_format

VIEW = View("teach", "Teach", "教它")
_bearer = HTTPBearer(auto_error=False, description="the token `nnzero teach` printed at start-up")
_query = APIKeyQuery(name="token", auto_error=False, description="the same token, in the address")


def _authorised(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    query: Annotated[str | None, Depends(_query)],
) -> None:
    """401 unless the request carries the server's token (compared in constant time)."""
    given = (bearer.credentials if bearer else None) or query or ""
    if not hmac.compare_digest(given.encode(), request.app.state.teach_token.encode()):
        raise HTTPException(
            401,
            tr(
                "changing the project needs the token printed when the server started: open the address "
                "it printed (…/?token=…), or send Authorization: Bearer TOKEN",
                "修改项目需要服务器启动时打印的令牌: 请打开它打印的地址 (…/?token=…), 或发送 Authorization: Bearer 令牌",
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )


def add_routes(app: FastAPI, service: Service, max_bytes: int) -> None:
    teacher: Teacher = app.state.teacher
    write = {"dependencies": [Depends(_authorised)], "responses": teach_schema.teach_errors(max_bytes)}

    @app.get(
        "/api/teach",
        summary="The Teach project: classes, examples, features, the latest training",
        response_model=teach_schema.TeachProject,
    )
    def project() -> dict:
        return teacher.describe() | {"model": teacher.name if teacher.name in service.models else None}

    @app.post(
        "/api/teach/examples",
        summary="Add examples of a class (one or more images)",
        response_model=teach_schema.Added,
        openapi_extra=teach_schema.files_body(max_bytes),
        **write,
    )
    async def add(
        request: Request,
        label: str = Query(
            ...,
            min_length=1,
            max_length=4 * MAX_NAME,
            description="the class: any printable text without / \\ or control characters",
        ),
        burst: str | None = Query(
            None, pattern=BURST, description="frames of one held capture: the burst the first frame got back"
        ),
    ) -> dict:
        files = await read_files(request, max_bytes)
        for f in files:
            if not recognised_format(f.data):
                raise RequestError(415, tr("{name}: not an image file", "{name}: 不是图片文件", name=f.name))
        return await anyio.to_thread.run_sync(
            _refusals(teacher.add), label, [(f.data, f.name) for f in files], burst
        )

    @app.get(
        "/api/teach/examples/{example}",
        summary="A small JPEG of an example",
        response_class=Response,
        responses={200: {"content": {"image/jpeg": {}}}, 404: {"model": schema.Error}},
    )
    def thumbnail(
        example: str = Path(..., pattern=EXAMPLE_ID), size: int = Query(160, ge=32, le=512)
    ) -> Response:
        found = teacher.project.find(example)
        if found is None:
            raise _missing(example)
        data = _refusals(teacher.project.thumbnail)(found, size)
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})

    @app.delete(
        "/api/teach/examples/{example}",
        summary="Delete an example",
        response_model=teach_schema.Deleted,
        **write,
    )
    def delete(example: str = Path(..., pattern=EXAMPLE_ID)) -> dict:
        return teacher.delete(example) or _raise(_missing(example))

    @app.delete(
        "/api/teach/classes/{label}",
        summary="Delete a class and all its examples",
        response_model=teach_schema.Deleted,
        **write,
    )
    def delete_class(label: str = Path(..., max_length=4 * MAX_NAME)) -> dict:
        return teacher.delete_class(label) or _raise(_missing(label))

    @app.post(
        "/api/teach/train",
        summary="Train on the examples as they are now; answers when the model serves",
        response_model=teach_schema.Trained,
        **write,
    )
    async def train() -> dict:
        def train_and_serve() -> dict:
            result = _refusals(teacher.train)()
            service.put(
                teacher.name, result["checkpoint"]
            )  # loaded first: a bad file leaves the old one serving
            return {"model": teacher.name, **result}

        answer = await anyio.to_thread.run_sync(train_and_serve)
        app.openapi_schema = None  # the next /openapi.json names the new model
        return answer


def _refusals(call):
    """``call`` with the project's refusals as HTTP answers: 409 busy, 413 full, 422 a bad name or image."""

    def wrapped(*args):
        try:
            return call(*args)
        except Busy as e:
            raise RequestError(409, str(e)) from None
        except ProjectFull as e:
            raise RequestError(413, str(e)) from None
        except DataError as e:
            raise RequestError(422, str(e)) from None

    return wrapped


def _missing(what: str) -> RequestError:
    return RequestError(
        404, tr("{what!r}: no such example or class", "{what!r}: 没有这个样本或类别", what=what)
    )


def _raise(error: Exception):
    raise error
