"""`nnzero inspect` on real trained checkpoints and a real MNIST test digit; every registered model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from pagecheck import assert_not_blank, decode_png

from nnzero.cli import main
from nnzero.datasets.images import open_image
from nnzero.evaluation.inspect import inspect_image
from nnzero.inference.predictor import Predictor
from nnzero.models import create_model, list_models, model_entry
from nnzero.models.committee import networks
from nnzero.training.checkpoint import load_checkpoint, save_checkpoint


def _inspect_json(capsys, checkpoint, image, out) -> dict:
    assert main(["inspect", str(checkpoint), str(image), "--out", str(out), "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _conv_shapes(model, shape) -> list[list[int]]:
    """The oracle: output shapes of every Conv2d (subclasses too, e.g. EfficientNet's same-padding conv),
    each the first time it runs (soundcnn runs its layers once per pitch warp in evaluation)."""
    shapes, hooks = {}, []
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):

            def keep(m, _inputs, out):
                shapes.setdefault(id(m), list(out.shape[1:]))  # returns None: the output stays as it is

            hooks.append(module.register_forward_hook(keep))
    with torch.no_grad():
        model(torch.zeros(1, *shape))
    for h in hooks:
        h.remove()
    return list(shapes.values())


@pytest.mark.slow  # trained_runs trains two models (about 10 s)
def test_lenet5_sheet_shows_every_conv_layer(trained_runs, test_digit, tmp_path, capsys):
    info = _inspect_json(capsys, trained_runs["lenet5"] / "best.pt", test_digit[0], tmp_path / "sheet.png")
    assert [c["shape"] for c in info["conv_layers"]] == [[6, 28, 28], [16, 10, 10]]
    assert [c["name"] for c in info["conv_layers"]] == ["0 Conv2d+ReLU", "3 Conv2d+ReLU"]
    assert [d["units"] for d in info["dense_layers"]] == [120, 84, 10]
    assert info["filters"] == {"layer": "0 Conv2d", "shape": [6, 1, 5, 5], "colour": False}
    assert sorted(info["conv_layers"][1]["shown"]) == list(range(16))  # 16 channels, all shown by default
    assert abs(sum(info["probabilities"].values()) - 1) < 1e-4
    sheet = decode_png(tmp_path / "sheet.png")
    assert list(sheet.size) == info["size"] and sheet.size[0] == 1200 and sheet.size[1] > 1000
    assert_not_blank(sheet)


@pytest.mark.slow  # trained_runs trains two models (about 10 s)
def test_mlp_sheet_draws_first_layer_weights_as_digit_sized_maps(trained_runs, test_digit, tmp_path, capsys):
    checkpoint = trained_runs["mlp128"] / "best.pt"
    info = _inspect_json(capsys, checkpoint, test_digit[0], tmp_path / "mlp.png")
    assert info["conv_layers"] == [] and "filters" not in info
    weights = info["first_layer_weights"]
    assert weights["map_shape"] == [1, 28, 28] and len(weights["units"]) == 32
    assert [d["units"] for d in info["dense_layers"]] == [128, 10]
    # the sheet's probabilities are the ones `predict` would give for the same prepared image
    predictor = Predictor.from_checkpoint(checkpoint, "cpu")
    image = predictor.prepare(open_image(test_digit[0]))  # (1, 28, 28), MNIST-style centring as predict does
    probs = predictor.probabilities(image[None])[0]
    assert info["prediction"]["label"] == predictor.classes[int(probs.argmax())] == str(test_digit[1])
    assert abs(info["prediction"]["prob"] - probs.max()) < 1e-5
    sheet = decode_png(tmp_path / "mlp.png")
    assert list(sheet.size) == info["size"] and sheet.size[0] == 1200
    assert_not_blank(sheet)


@pytest.mark.slow  # trained_runs trains two models (about 10 s)
def test_fewer_channels_are_drawn_when_asked_most_active_first(trained_runs, test_digit, tmp_path, capsys):
    args = ["inspect", str(trained_runs["lenet5"] / "best.pt"), str(test_digit[0]), "--max-channels", "4"]
    assert main(args + ["--dry-run", "--json"]) == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert info["out"] is None and info["dry_run"] is True
    assert all(len(c["shown"]) == 4 for c in info["conv_layers"])
    assert not list(test_digit[0].parent.glob("*-inspect.png"))


@pytest.mark.slow  # trained_runs trains two models (about 10 s)
def test_a_file_that_is_not_an_image_gets_a_clear_error(trained_runs, tmp_path, capsys):
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    assert main(["inspect", str(trained_runs["mlp128"] / "best.pt"), str(bad)]) == 2
    assert "notes.png" in capsys.readouterr().err


## The photo-sized models take seconds to draw on 2 CPU cores, and two MLPs repeat mlp128: the fast
## subset skips them.
REPEATS = {"mlp64x3", "mlp256"}
EVERY_MODEL = [
    pytest.param(n, marks=pytest.mark.slow) if model_entry(n).image_size >= 96 or n in REPEATS else n
    for n in list_models()
]


@pytest.mark.parametrize("name", EVERY_MODEL)
def test_every_registered_model_can_be_inspected(name, test_digit, tmp_path, request):
    """Freshly built weights are enough to check that hooks, shapes and drawing work for each architecture."""
    entry = model_entry(name)
    torch.manual_seed(0)
    model = create_model(name)
    shape = (entry.in_channels, entry.image_size, entry.image_size)
    spec = {
        "kind": entry.task,
        "channels": shape[0],
        "size": shape[1],
        "mean": [0.5] * shape[0],
        "std": [0.25] * shape[0],
    }
    path = save_checkpoint(
        tmp_path / "m.pt",
        model,
        model_name=name,
        model_kwargs={"num_classes": entry.num_classes, "in_channels": shape[0], "image_size": shape[1]},
        classes=[str(i) for i in range(entry.num_classes)],
        input_spec=spec,
    )
    image_file = test_digit[0] if shape[0] == 1 else request.getfixturevalue("cat_photo")
    _check_inspection(path, image_file, model, shape, tmp_path)


def test_colour_filters_for_a_three_channel_model(tmp_path, cat_photo):
    """A photo-sized CNN (3 channels): filters are drawn in colour, on a real cat photo."""
    photo = cat_photo
    model = create_model("cnn", num_classes=2, in_channels=3, image_size=32)
    spec = {"kind": "photos", "channels": 3, "size": 32, "mean": [0.5] * 3, "std": [0.25] * 3}
    path = save_checkpoint(
        tmp_path / "c.pt",
        model,
        model_name="cnn",
        model_kwargs={"num_classes": 2, "in_channels": 3, "image_size": 32},
        classes=["cat", "dog"],
        input_spec=spec,
    )
    info = _check_inspection(path, photo, model, (3, 32, 32), tmp_path)
    assert info["filters"]["colour"] is True and info["filters"]["shape"] == [24, 3, 3, 3]


def _check_inspection(path, image_file, model, shape, tmp_path) -> dict:
    from nnzero.evaluation.inspect import open_prepared

    predictor = Predictor(load_checkpoint(path), "cpu")
    image = open_prepared(predictor, image_file)  # (C, H, W)
    assert image.shape == shape and image.dtype == np.uint8
    info = inspect_image(predictor, image, tmp_path / "s.png", max_channels=16)
    model = networks(model)[0]  # a committee shows its first member's layers
    # every conv layer, each with its real output shape (a model that is no Sequential lists them in
    # registration order, which need not be the order they run in)
    assert sorted(c["shape"] for c in info["conv_layers"]) == sorted(_conv_shapes(model.eval(), shape))
    n_dense = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
    assert len(info["dense_layers"]) == n_dense and info["dense_layers"][-1]["units"] == len(
        predictor.classes
    )
    assert ("filters" in info) == bool(info["conv_layers"])
    assert ("first_layer_weights" in info) != bool(info["conv_layers"])
    sheet = decode_png(tmp_path / "s.png")
    assert list(sheet.size) == info["size"]
    assert_not_blank(sheet)
    return info
