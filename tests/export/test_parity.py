"""Every registered model exports, and onnxruntime answers what `nnzero predict` answers on 32 real pictures.
(Sound models excepted: they are refused with a clear error, as the export has no spectrogram yet.)

The issue's target: the same top-1 and max |difference in probability| <= 1e-4, for every model in the
registry (a parametrised test like tests/models: a new model is covered the day it is registered).
"""

from __future__ import annotations

import numpy as np
import pytest

from nnzero.models import list_models, model_entry

from .conftest import real_inputs

pytest.importorskip("onnxruntime", reason="pip install 'nnzero[export]'")
## The big photo models (128 px and up) take 10-20 s each to export on 2 CPU cores: the fast subset skips them.
EVERY_MODEL = [
    pytest.param(n, marks=pytest.mark.slow) if model_entry(n).image_size >= 128 else n
    for n in list_models()
    if model_entry(n).task != "sounds"
]


@pytest.mark.parametrize("name", EVERY_MODEL)
def test_onnx_answers_what_nnzero_predict_answers(name, exported):
    from nnzero.inference import load
    from nnzero.inference.onnx_predictor import OnnxPredictor
    from nnzero.inference.prepare import as_image

    checkpoint, folder = exported(name)
    torch_side, onnx_side = load(checkpoint, device="cpu"), OnnxPredictor(folder / "model.onnx")
    pictures = [as_image(p) for p in real_inputs(name, 32)]
    prepared = np.stack([torch_side.prepare(p) for p in pictures])  # (32, C, H, W) uint8
    assert np.array_equal(prepared, np.stack([onnx_side.prepare(p) for p in pictures]))
    ours, theirs = torch_side.probabilities(prepared), onnx_side.probabilities(prepared)  # (32, classes)
    assert len(ours) == 32 and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours.argmax(1), theirs.argmax(1))
    assert np.abs(ours - theirs).max() <= 1e-4
    ## the pictures reach the network as different inputs (seeded random weights answer near-uniformly)
    assert ours.std(0).max() > 1e-4


def test_a_sound_model_is_refused_clearly(tmp_path):
    from nnzero.datasets.base import input_spec
    from nnzero.errors import NnzeroError
    from nnzero.export import export_model
    from nnzero.models import create_model
    from nnzero.training.checkpoint import save_checkpoint

    spec = input_spec("sound", 1, 32, [0.5], [0.25]) | {"audio": {"rate": 8000, "seconds": 1.5}}
    checkpoint = save_checkpoint(
        tmp_path / "best.pt",
        create_model("soundcnn"),
        model_name="soundcnn",
        model_kwargs={"num_classes": 10},
        classes=[str(d) for d in range(10)],
        input_spec=spec,
    )
    with pytest.raises(NnzeroError, match="sound model cannot be exported"):
        export_model(checkpoint, tmp_path / "onnx")
    assert not (tmp_path / "onnx").exists()
