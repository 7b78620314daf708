"""The Teach routes' answers and bodies, as precise as the OpenAPI can say them (schemathesis fuzzes them)."""

from __future__ import annotations

from pydantic import BaseModel

from nnzero.serving.schema import IMAGE_TYPES, Error, predict_errors


class TeachClass(BaseModel):
    name: str
    count: int
    examples: list[str]  # example ids, oldest first (GET /api/teach/examples/{id} is a thumbnail)


class Features(BaseModel):
    pending: int  # examples whose backbone features are still being computed
    computed: int  # computed by this server since it started (the cache had the rest)
    error: str | None


class Training(BaseModel):
    running: bool
    stage: str  # idle | features | fitting | done | failed
    seconds: float | None  # since it started, while it runs
    lines: list[str]  # its last messages
    error: str | None


class ClassScore(BaseModel):
    accuracy: float | None  # on the held-out photos of the class (None: it had none)
    photos: int


class Advice(BaseModel):
    kind: str  # few | imbalance | one_burst | near_twins | changed
    classes: list[str]
    en: str
    zh: str
    examples: list[str] = []  # near_twins: the ids of the pairs


class Trained(BaseModel):
    model: str  # the name it serves under: POST /api/predict/{model}
    run: str
    run_dir: str
    checkpoint: str
    backbone: str
    val_accuracy: float | None
    test_accuracy: (
        float | None
    )  # on the held-out photos (a fifth of each class's captures), which chose nothing
    held_out: int
    classes: list[str]
    examples: dict[str, int]
    per_class: dict[str, ClassScore]
    confusion_matrix: list[list[int]]  # rows: true class, columns: predicted, on the held-out photos
    head_seconds: float | None
    seconds: float
    warnings: list[Advice]


class Limits(BaseModel):
    examples: int
    bytes: int


class TeachProject(BaseModel):
    project: str
    dir: str
    backbone: str
    classes: list[TeachClass]
    total: int
    features: Features
    training: Training
    model: str | None  # the served model trained here (None before the first training)
    last: (
        dict | None
    )  # the latest training's answer (what POST /api/teach/train gave), kept in its run folder
    limits: Limits


class Added(BaseModel):
    ids: list[str]
    label: str
    burst: str | None  # send it back as ?burst= with the next frames of the same held capture
    counts: dict[str, int]


class Deleted(BaseModel):
    deleted: str | list[str]
    label: str
    counts: dict[str, int]


def files_body(max_bytes: int) -> dict:
    """The request body of POST /api/teach/examples, for ``openapi_extra``."""
    binary = {"type": "string", "format": "binary", "maxLength": max_bytes}
    raw = {kind: {"schema": binary} for kind in (*IMAGE_TYPES, "application/octet-stream")}
    files = {"type": "array", "items": binary, "minItems": 1, "maxItems": 64}
    return {
        "requestBody": {
            "required": True,
            "description": "Images: multipart/form-data with one or more fields `file`, or one image as the raw body.",
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": {"file": files}, "required": ["file"]},
                    "encoding": {"file": {"contentType": ", ".join(IMAGE_TYPES)}},
                },
                **raw,
            },
        }
    }


def teach_errors(max_bytes: int) -> dict:
    """The predict route's error answers (the same upload rules), and what only the Teach writes give."""
    errors = predict_errors(max_bytes)
    mb = f"{max_bytes / 1024 / 1024:g} MB"
    when = {
        401: "no token, or the wrong one (the token `nnzero teach` printed)",
        404: "no such example or class",
        409: "a training is already running",
        413: f"the body is over {mb}, or the project is full",
        422: "a class name that cannot be a folder, a damaged image, fewer than two classes",
    }
    return errors | {code: {"model": Error, "description": text} for code, text in when.items()}
