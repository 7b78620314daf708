"""The models a server holds, and one prediction from request bytes to JSON, bounded in CPU use.

Each checkpoint is loaded once, when the server starts (``weights_only=True``: nothing is unpickled).
A model's name is its run folder's name (``runs/mnist-cnn/best.pt`` -> ``mnist-cnn``), or the NAME of
``--model NAME=PATH``; repeated names get ``-2``, ``-3``.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import anyio
import torch

from nnzero.datasets.digit_photos import prepare_canvas
from nnzero.datasets.images import open_image
from nnzero.errors import DataError
from nnzero.i18n import tr
from nnzero.inference.predictor import Predictor
from nnzero.models.imagenet import has_imagenet_head
from nnzero.serving.uploads import Payload, RequestError, png_data_url, recognised_format


def default_threads() -> int:
    """Torch threads for one forward pass: half the cores, at most 4.

    ## One small image gives a thread pool almost nothing to share out, while threads that fight
    ## for busy cores wait on each other: on a loaded 2-core machine the cnn took 0.7 ms per digit
    ## with 1 thread and 57 ms with 2. Concurrent requests use the other cores instead.
    """
    return max(1, min(4, (os.cpu_count() or 1) // 2))


def split_model_arg(arg: str) -> tuple[str | None, str]:
    """``NAME=PATH`` or ``PATH`` (a path that exists wins, even with an '=' in it)."""
    name, sep, path = arg.partition("=")
    if sep and name and not Path(arg).exists():
        return name, path
    return None, arg


def _note(message: str) -> None:
    """A note the server prints when it starts (bf16 asked for on a device without bfloat16 hardware)."""
    print(message, file=sys.stderr, flush=True)


def _clean(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"


class Service:
    """Predictors by name, and the limiter that bounds how many predictions run at once."""

    def __init__(
        self, model_args: list[str], device: str = "cpu", max_concurrent: int | None = None, precision="auto"
    ):
        self.models: dict[str, Predictor] = {}
        self.device, self.precision = device, precision
        for arg in model_args:
            name, path = split_model_arg(str(arg))
            predictor = Predictor.from_checkpoint(path, device, precision, say=_note)
            self.models[self.unique_name(name or predictor.name)] = predictor
        threads = torch.get_num_threads()
        self.max_concurrent = max_concurrent or max(1, min(8, (os.cpu_count() or 1) // threads))
        self._limiter: anyio.CapacityLimiter | None = None

    def unique_name(self, name: str) -> str:
        """``name`` made safe for a URL, with ``-2``, ``-3`` ... when a model already has it."""
        name = _clean(name)
        unique, n = name, 1
        while unique in self.models:
            n += 1
            unique = f"{name}-{n}"
        return unique

    def put(self, name: str, checkpoint: str | Path) -> Predictor:
        """Serve ``checkpoint`` as ``name`` from now on (a model trained while the server runs: Teach).

        Loaded before it replaces anything, so a file that fails to load leaves the old model serving;
        requests already running finish with the model they started with."""
        predictor = Predictor.from_checkpoint(checkpoint, self.device, self.precision, say=_note)
        self.models[name] = predictor
        return predictor

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        # created lazily: a CapacityLimiter belongs to the event loop that first uses it
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.max_concurrent)
        return self._limiter

    def get(self, name: str) -> Predictor:
        if name not in self.models:
            raise RequestError(
                404,
                tr(
                    "no model named {name!r}; this server has: {known}",
                    "没有名为 {name!r} 的模型; 本服务器上有: {known}",
                    name=name,
                    known=", ".join(self.models),
                ),
            )
        return self.models[name]

    def describe(self) -> list[dict]:
        """What GET /api/models answers: enough for a client to pick a model and prepare input."""
        rows = []
        for name, p in self.models.items():
            ckpt = p.checkpoint
            rows.append(
                {
                    "name": name,
                    "architecture": ckpt["model_name"],
                    "dataset": ckpt.get("dataset", ""),
                    "classes": p.classes,
                    "input": {k: p.spec[k] for k in ("kind", "channels", "size")},
                    "metrics": {
                        k: v for k, v in ckpt.get("metrics", {}).items() if isinstance(v, (int, float, str))
                    },
                    "parameters": sum(t.numel() for t in p.model.parameters()),
                    "unknown": p.unknown is not None,  # it can answer "none of my classes"
                    "imagenet": has_imagenet_head(ckpt["model_name"]),  # it can show ImageNet's classes
                }
            )
        return rows

    async def predict_async(self, name: str, payload: Payload, k: int, unknown=True, imagenet=0) -> dict:
        """Decoding and the forward pass run in worker threads, at most ``max_concurrent`` at once."""
        return await anyio.to_thread.run_sync(
            self.predict, name, payload, k, unknown, imagenet, limiter=self.limiter
        )

    def predict(
        self, name: str, payload: Payload, k: int = 5, unknown: bool = True, imagenet: int = 0
    ) -> dict:
        """The top ``k`` classes for the image in ``payload``, and the input the network saw; "unknown"
        when the model can tell (and ``unknown``); the backbone's top ``imagenet`` ImageNet classes."""
        predictor = self.get(name)
        if imagenet and not has_imagenet_head(predictor.checkpoint["model_name"]):
            raise RequestError(
                422,
                tr(
                    "{name} has no ImageNet classifier (only the efficientnet_lite models have one)",
                    "{name} 没有 ImageNet 分类层 (只有 efficientnet_lite 模型有)",
                    name=name,
                ),
            )
        if predictor.is_sound:  # a recording: its windows' answers averaged; sound models never say "unknown"
            from nnzero.serving.listening import predict_sound

            return predict_sound(name, predictor, payload, k)
        start = time.perf_counter()
        pixels = self.prepare(predictor, payload)  # (C, H, W) uint8
        ready = time.perf_counter()
        answer = predictor.answer(pixels[None], k, unknown, imagenet)[0]
        done = time.perf_counter()
        out = {
            "model": name,
            "top": answer["top"],
            "ms": round((done - start) * 1000, 2),
            "inference_ms": round((done - ready) * 1000, 2),
            "input": png_data_url(pixels),
        }
        if "unknown" in answer:  # a model that can tell; otherwise the answer is as it always was
            out |= {key: answer[key] for key in ("unknown", "label", "score")}
        return out | ({"imagenet": answer["imagenet"]} if "imagenet" in answer else {})

    @staticmethod
    def prepare(predictor: Predictor, payload: Payload):
        """Decode safely, then prepare as in training: 415 for what is no image, 422 for a bad one."""
        if not recognised_format(payload.data):
            raise RequestError(
                415,
                tr(
                    "{name}: not an image file nnzero can read (send PNG, JPEG, GIF, WebP, BMP or TIFF)",
                    "{name}: 不是 nnzero 能读取的图片文件 (请发送 PNG、JPEG、GIF、WebP、BMP 或 TIFF)",
                    name=payload.name,
                ),
            )
        try:
            image = open_image(payload.data, name=payload.name)
            if payload.canvas and predictor.spec["kind"] == "digits":
                ## a drawing is strokes on a clean background; a photo has paper, shadows and noise to remove
                return prepare_canvas(image)[None]  # (1, 28, 28)
            return predictor.prepare(image)  # (C, H, W), exactly as `nnzero predict` prepares it
        except DataError as e:
            raise RequestError(422, str(e)) from None
