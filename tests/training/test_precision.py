"""train.precision=bf16: autocast in training, float32 weights, and it still learns real digits."""

import pytest
import torch

import nnzero
from nnzero.errors import NnzeroError
from nnzero.training.checkpoint import load_checkpoint


@pytest.mark.slow  # two short epochs of real digits (~10 s)
def test_bf16_training_learns_and_keeps_float32_weights(tmp_path):
    runs = {}
    for precision in ("fp32", "bf16"):
        runs[precision] = nnzero.train(
            "mnist", limit=4000, runs_dir=tmp_path, name=precision, progress=False, say=lambda m: None,
            sets=[f"train.precision={precision}"],
        )  # fmt: skip
    best = load_checkpoint(tmp_path / "bf16" / "best.pt")
    assert best["config"]["train"]["precision"] == "bf16"
    assert all(v.dtype in (torch.float32, torch.int64) for v in best["state_dict"].values())
    assert runs["bf16"].metrics["test_accuracy"] > 0.93  # an untrained net: ~0.10
    ## bfloat16 keeps 8 bits of mantissa: the same seed ends with other weights than float32's
    fp32 = load_checkpoint(tmp_path / "fp32" / "best.pt")["state_dict"]
    assert any(not torch.equal(v, fp32[k]) for k, v in best["state_dict"].items())


def test_an_unknown_precision_is_refused_with_the_choices():
    with pytest.raises(NnzeroError, match="bf16"):
        nnzero.train("mnist", sets=["train.precision=fp16"], dry_run=True, progress=False, say=lambda m: None)


def test_auto_precision_is_resolved_for_this_device_and_recorded():
    from nnzero.training.device import has_fast_bf16

    run = nnzero.train(
        "mnist",
        limit=500,
        device="cpu",
        dry_run=True,
        progress=False,
        say=lambda m: None,
        sets=["train.precision=auto"],
    )
    expected = "bf16" if has_fast_bf16(torch.device("cpu")) else "fp32"
    assert run.config["train"]["precision"] == expected
