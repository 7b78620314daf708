"""The web API's OpenAPI description: the answers' shapes, every status code each route gives, the body.

Made as precise as a schema can be (schemathesis fuzzes the live server against it in CI): the model
names a server holds are an enum, ``top`` is bounded, each accepted Content-Type is listed with its
field and its size limit, and each error code says when it is given.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

MAX_TOP = 1000
MAX_IMAGENET = 20  # ?imagenet=K: at most this many ImageNet classes
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff")
## what a sound model takes (libsndfile decodes them): WAV, FLAC, OGG (Vorbis, Opus), MP3
AUDIO_TYPES = ("audio/wav", "audio/x-wav", "audio/flac", "audio/ogg", "audio/mpeg")


class Top(BaseModel):
    label: str
    prob: float


class ImageNetClass(BaseModel):
    index: int  # 0-999, ImageNet-1k's class order
    label: str
    label_zh: str
    prob: float


class Prediction(BaseModel):
    model: str
    top: list[Top]
    ms: float  # decoding, preparation and the forward pass, on the server
    inference_ms: float  # the forward pass alone
    input: str  # the prepared input the network saw, as a PNG data URL (a sound: its log-mel pictures)
    windows: int | None = None  # a sound model: how many windows of the clip were heard and averaged
    ## present when the model can tell (and ?unknown=false was not sent):
    unknown: bool | None = (
        None  # true: like none of the model's classes ("top" still holds their probabilities)
    )
    label: str | None = None  # the top class, or "unknown"
    score: float | None = (
        None  # similarity to the nearest known pictures; unknown below the model's threshold
    )
    imagenet: list[ImageNetClass] | None = None  # ?imagenet=K: the backbone's own top ImageNet classes


class ModelInput(BaseModel):
    kind: str  # "digits": MNIST-style centring; "sound": a recording made into log-mel pictures; else a photo
    channels: int
    size: int


class ModelInfo(BaseModel):
    name: str
    architecture: str
    dataset: str
    classes: list[str]
    input: ModelInput
    metrics: dict[str, float | int | str]
    parameters: int
    unknown: bool = False  # it answers "unknown" for a picture like none of its classes
    imagenet: bool = False  # ?imagenet=K shows its backbone's ImageNet classes


class ViewInfo(BaseModel):
    name: str  # the page loads static/views/<name>.js
    title: str
    title_zh: str


class Health(BaseModel):
    status: str
    models: list[str]
    version: str
    torch_threads: int
    max_concurrent: int


class Error(BaseModel):
    error: str


def _binary(max_bytes: int) -> dict:
    return {"type": "string", "format": "binary", "maxLength": max_bytes}


def predict_body(max_bytes: int) -> dict:
    """The request body of POST /api/predict/{model}, for ``openapi_extra``."""
    raw = {
        kind: {"schema": _binary(max_bytes)}
        for kind in (*IMAGE_TYPES, *AUDIO_TYPES, "application/octet-stream")
    }
    return {
        "requestBody": {
            "required": True,
            "description": (
                "The image: a file upload (field `image`), a canvas drawing as a data URL, or the raw file; "
                "for a sound model, a sound file (WAV, FLAC, OGG or MP3) uploaded or as the raw body."
            ),
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"image": _binary(max_bytes)},
                        "required": ["image"],
                    },
                    "encoding": {"image": {"contentType": ", ".join((*IMAGE_TYPES, *AUDIO_TYPES))}},
                },
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "canvas": {
                                "type": "string",
                                "description": "a PNG as a data URL (or bare base64)",
                                "maxLength": max_bytes,
                            }
                        },
                        "required": ["canvas"],
                    },
                    "example": {"canvas": "data:image/png;base64,iVBORw0KGgo..."},
                },
                **raw,
            },
        }
    }


def predict_errors(max_bytes: int) -> dict:
    mb = f"{max_bytes / 1024 / 1024:g} MB"
    return {
        400: {"model": Error, "description": "a malformed multipart/form-data body"},
        404: {"model": Error, "description": "no model of that name"},
        413: {"model": Error, "description": f"the body is over {mb}"},
        415: {
            "model": Error,
            "description": "not an image file (a sound model: not a sound file), or an unsupported Content-Type",
        },
        422: {
            "model": Error,
            "description": (
                "a damaged image, over 40 megapixels, a blank drawing, a bad payload, a bad `top`, "
                "or `imagenet` for a model without an ImageNet classifier; for a sound model: a damaged or "
                "cut-off sound, 0 samples, silence, over 2 channels, a sample rate outside 4-96 kHz, or over "
                "5 minutes"
            ),
        },
    }


def install(app: FastAPI, model_names) -> None:
    """Make ``app.openapi()`` name the served models (an enum) and document what every route answers.

    ``model_names``: a list, or a function giving it (a server that trains models adds names: it sets
    ``app.openapi_schema = None`` and the next request for the schema names them)."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            names = model_names() if callable(model_names) else model_names
            for parameter in spec["paths"]["/api/predict/{model}"]["post"]["parameters"]:
                if parameter["name"] == "model" and names:  # none yet (a new Teach project): any name, 404
                    parameter["schema"]["enum"] = list(names)
                    parameter["description"] = "a model this server holds (GET /api/models)"
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi
