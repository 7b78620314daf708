"""train.ema: the moving average of the weights is the one validated, kept and tested."""

import pytest
import torch
from torch import nn

from nnzero.training.checkpoint import load_checkpoint
from nnzero.training.ema import weight_average


def test_the_average_follows_the_weights_by_the_warmed_up_decay():
    """avg <- d_n * avg + (1 - d_n) * w with d_n = min(d, (1 + n) / (10 + n)), batch norm's buffers too."""
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    average = weight_average(model, decay=0.5)
    expected = [p.detach().clone() for p in model.parameters()]
    average.update_parameters(model)  # the first update copies
    for n in range(1, 6):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(1.0)
        d = min(0.5, (1 + n) / (10 + n))  # 0.1818..., 0.25, 0.3077, 0.3571, 0.4 (all under 0.5)
        expected = [d * e + (1 - d) * p.detach() for e, p in zip(expected, model.parameters())]
        average.update_parameters(model)
    for e, a in zip(expected, average.module.parameters()):
        torch.testing.assert_close(a, e)
    model(torch.randn(8, 3))  # moves batch norm's running mean
    average.update_parameters(model)
    bn, averaged_bn = model[1], average.module[1]
    assert not torch.equal(averaged_bn.running_mean, torch.zeros(2))  # followed the model's buffer
    assert not torch.equal(averaged_bn.running_mean, bn.running_mean)  # but only part of the way
    assert int(averaged_bn.num_batches_tracked) == int(bn.num_batches_tracked)


@pytest.mark.slow  # one short epoch of real digits
def test_best_pt_holds_the_average_and_scores_what_it_says(tmp_path):
    import nnzero

    run = nnzero.train(
        "mnist", model="mlp128", limit=3000, epochs=1, runs_dir=tmp_path, name="ema",
        sets=["train.ema=0.9"], progress=False, say=lambda m: None,
    )  # fmt: skip
    best, last = load_checkpoint(tmp_path / "ema" / "best.pt"), load_checkpoint(tmp_path / "ema" / "last.pt")
    assert run.config["train"]["ema"] == 0.9
    assert set(last["train_state"]["ema"]["state_dict"]) == set(best["state_dict"])
    for k, v in best["state_dict"].items():  # best.pt is the average, not the last weights
        assert torch.equal(v, last["train_state"]["ema"]["state_dict"][k])
    assert any(not torch.equal(v, last["state_dict"][k]) for k, v in best["state_dict"].items())
    assert best["metrics"]["test_accuracy"] > 0.7  # 0.81 measured (~11 steps, averaged); untrained ~0.10


def test_a_decay_outside_zero_to_one_is_refused():
    import nnzero
    from nnzero.errors import NnzeroError

    with pytest.raises(NnzeroError, match="ema"):
        nnzero.train("mnist", sets=["train.ema=1.0"], dry_run=True, progress=False, say=lambda m: None)
