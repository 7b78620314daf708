"""The predict view's API: ``POST /api/predict/{model}``, the top classes for one image.

The page draws, drops a photo or streams camera frames into it; other programs send files.
"""

from __future__ import annotations

from fastapi import FastAPI, Query, Request

from nnzero.serving import schema
from nnzero.serving.routes import View
from nnzero.serving.schema import Prediction
from nnzero.serving.service import Service
from nnzero.serving.uploads import read_payload

VIEW = View("predict", "Predict", "识别")


def add_routes(app: FastAPI, service: Service, max_bytes: int) -> None:
    @app.post(
        "/api/predict/{model}",
        summary="The top classes for one image",
        description=(
            "Send the image as multipart/form-data (field `image`), as JSON "
            '`{"canvas": "data:image/png;base64,..."}` (a drawing: ink on a transparent or light '
            "background), or as the raw body with `Content-Type: image/png` (or jpeg, ...). At most 10 MB "
            "and 40 megapixels. A sound model takes a sound file (WAV, FLAC, OGG, MP3; at most 5 minutes) "
            "the same ways (`Content-Type: audio/wav`, ...). `input` in the answer is the prepared image the "
            "network saw (a sound: its log-mel spectrogram). A model that can tell (not a sound model) adds "
            "`unknown` (true: the picture is like none of its classes), `label` and `score`."
        ),
        response_model=Prediction,
        response_model_exclude_none=True,  # a model that cannot say "unknown" answers as it always did
        responses=schema.predict_errors(max_bytes),
        openapi_extra=schema.predict_body(max_bytes),
    )
    async def predict(
        model: str,
        request: Request,
        top: int = Query(5, ge=1, le=schema.MAX_TOP, description="how many classes (at most the model's)"),
        unknown: bool = Query(
            True, description="false: always name one of the classes, never 'unknown' (as before)"
        ),
        imagenet: int = Query(
            0,
            ge=0,
            le=schema.MAX_IMAGENET,
            description="also the backbone's top K ImageNet classes (efficientnet_lite)",
        ),
    ) -> dict:
        service.get(model)  # 404 before reading a byte of the body
        payload = await read_payload(request, max_bytes)
        return await service.predict_async(model, payload, top, unknown, imagenet)
