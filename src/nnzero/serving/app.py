"""The web app: a page to draw a digit or drop a photo, and the HTTP API behind it.

    from nnzero.serving.app import create_app
    app = create_app(["runs/mnist-cnn/best.pt"])     # then: uvicorn.run(app), or `nnzero serve`

Routes: ``/`` the page (plain HTML/JS/CSS in ``static/``, no CDN, works offline: one shell, ``shell.js``,
with a view a tab, ``static/views/``); ``GET /api/models``; ``GET /api/views``; each view's own routes
(``routes/``: ``POST /api/predict/{model}`` for the predict view); ``GET /healthz``; ``/docs`` an offline API reference built from
``/openapi.json`` (``/docs/swagger`` is FastAPI's Swagger UI, which loads its scripts from a CDN).
Every error answers JSON ``{"error": "..."}`` with its status code; the server goes on serving.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path

import torch
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from nnzero import __version__
from nnzero.errors import NnzeroError
from nnzero.i18n import tr
from nnzero.serving import schema
from nnzero.serving.lingering import LingeringClose
from nnzero.serving.routes import listen, predict
from nnzero.serving.schema import Health, ModelInfo, ViewInfo
from nnzero.serving.service import Service, default_threads
from nnzero.serving.uploads import MAX_BYTES, RequestError

STATIC = Path(__file__).resolve().parent / "static"


def create_app(
    model_paths: list[str | Path],
    *,
    device: str = "cpu",
    threads: int | None = None,
    max_concurrent: int | None = None,
    max_bytes: int = MAX_BYTES,
    precision: str = "auto",
    teach=None,
    token: str | None = None,
) -> FastAPI:
    """A FastAPI app serving the given checkpoints (``PATH`` or ``NAME=PATH``), each loaded once, now.

    ``teach``: a Teach project (a folder, or a ``serving.teach.Teacher``) adds the Teach view and its
    routes, whose writes need ``token`` (``app.state.teach_token``; a random one when not given).
    ``precision``: fp32, bf16 or auto (bf16 for photo models where the device has bfloat16 hardware)."""
    torch.set_num_threads(threads or default_threads())
    service = Service([str(p) for p in model_paths], device, max_concurrent, precision)
    offered = _views(service)
    lifespan = None
    if teach is not None:
        from nnzero.serving.routes import teach as teach_view

        teacher, lifespan = _open_teach(teach, service)
        offered = [teach_view, *offered]  # the first view is the page's first tab
    app = FastAPI(
        title="nnzero",
        version=__version__,
        description="Neural networks from zero: predict the class of a drawing or a photo.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service
    if teach is not None:
        app.state.teacher, app.state.teach_token = teacher, token or secrets.token_urlsafe(24)
    ## an answer given before the upload was read (413, 404, ...) waits until the rest has been drained
    app.add_middleware(LingeringClose, max_bytes=2 * max_bytes)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_error_handlers(app)
    _add_api_routes(app, service, max_bytes, offered)
    _add_page_routes(app)
    schema.install(app, lambda: list(service.models))
    return app


def _views(service: Service) -> list:
    """The views this server offers, the one its page opens first first: listen when it serves only sounds."""
    if not listen.offered(service):
        return [predict]
    only_sounds = all(p.is_sound for p in service.models.values())
    return [listen, predict] if only_sounds else [predict, listen]


def _open_teach(teach, service: Service):
    """The Teach project, its latest model served, its feature worker started; and a lifespan that stops it."""
    from nnzero.serving.teach import Teacher

    teacher = teach if isinstance(teach, Teacher) else Teacher(teach)
    ## one process: decoding and feature extraction must not fork worker processes from a server that runs threads
    os.environ.setdefault("NNZERO_DECODE_WORKERS", "1")
    os.environ.setdefault("NNZERO_FEATURE_WORKERS", "1")
    teacher.name = service.unique_name(teacher.name)
    latest = teacher.latest_checkpoint()
    if latest is not None:
        try:
            service.put(teacher.name, latest)
        except NnzeroError as e:  # a damaged best.pt: the page offers Train again
            print(tr("warning: {e}", "警告: {e}", e=e), file=sys.stderr)
    teacher.start()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        teacher.close()

    return teacher, lifespan


def _add_page_routes(app: FastAPI) -> None:
    """The page and the offline API reference (nothing here is in the OpenAPI)."""

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/docs", include_in_schema=False)
    def docs() -> FileResponse:
        return FileResponse(STATIC / "docs.html")

    @app.get("/docs/swagger", include_in_schema=False)
    def swagger():
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="nnzero API (Swagger UI, needs internet)"
        )


def _add_api_routes(app: FastAPI, service: Service, max_bytes: int, offered: list) -> None:
    """The routes every server has, then each offered view's own (``serving/routes/``)."""

    @app.get("/healthz", summary="Is the server up, and with which models", response_model=Health)
    def healthz() -> dict:
        return {
            "status": "ok",
            "models": list(service.models),
            "version": __version__,
            "torch_threads": torch.get_num_threads(),
            "max_concurrent": service.max_concurrent,
        }

    @app.get("/api/models", summary="The models this server holds", response_model=list[ModelInfo])
    def models() -> list[dict]:
        return service.describe()

    @app.get(
        "/api/views",
        summary="The views of this server's page (predict, and teach or listen when they are on)",
        response_model=list[ViewInfo],
    )
    def views() -> list[dict]:
        return [view.VIEW.describe() for view in offered]

    for view in offered:
        view.add_routes(app, service, max_bytes=max_bytes)


def _add_error_handlers(app: FastAPI) -> None:
    """Every error as {"error": "..."}: ours, FastAPI's (bad query values, unknown routes) and surprises."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return JSONResponse({"error": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = exc.headers
        if exc.status_code == 405:  # Starlette names the first route's methods; a path may have several
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(app, request.scope))}
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestError)
    async def request_error(request: Request, exc: RequestError) -> JSONResponse:
        # the client may still be sending: close the connection rather than read a flood to its end
        headers = {"Connection": "close"} if exc.status == 413 else None
        return JSONResponse({"error": str(exc)}, status_code=exc.status, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette re-raises after this answer is sent, so the server's log keeps the traceback
        return JSONResponse({"error": f"internal error: {type(exc).__name__}: {exc}"}, status_code=500)


def allowed_methods(app: FastAPI, scope) -> list[str]:
    """Every method some route of ``app`` answers at this request's path (the Allow header of a 405)."""
    from starlette.routing import Match

    methods = set()
    for route in app.router.routes:
        match, _ = route.matches({**scope, "method": "GET"})
        if match != Match.NONE:  # the path matches; PARTIAL means only the method differs
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)
