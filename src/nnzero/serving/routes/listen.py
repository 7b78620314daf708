"""The listen view: record a second or two from the microphone, or drop a sound file, and hear what a
sound model answers. It asks ``POST /api/predict/{model}`` (``routes/predict.py``), which takes sound
files for sound models; so this module adds no route of its own. Offered when a sound model is served.
"""

from __future__ import annotations

from fastapi import FastAPI

from nnzero.serving.routes import View
from nnzero.serving.service import Service

VIEW = View("listen", "Listen", "听")


def offered(service: Service) -> bool:
    return any(p.is_sound for p in service.models.values())


def add_routes(app: FastAPI, service: Service, max_bytes: int) -> None:
    """None: the view's recordings go to the predict route, with its limits."""
