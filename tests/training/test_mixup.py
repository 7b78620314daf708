"""Mixup (train.mixup): real digits blended as stated, the loss blended alike, and a run that uses it."""

import pytest
import torch
import torch.nn.functional as F

from nnzero.datasets.mnist import load_idx_dataset
from nnzero.training.mixup import mix_batch, mixed_loss


@pytest.fixture(scope="module")
def digits(mnist_dir):
    data = load_idx_dataset("test", data_dir=str(mnist_dir))
    x = torch.from_numpy(data.images[:64].copy()).float().div(255)  # (64, 1, 28, 28)
    return x, torch.from_numpy(data.labels[:64].copy()).long()


def test_each_picture_is_blended_with_its_partner_by_the_drawn_share(digits):
    x, y = digits
    mixed, partners, lam = mix_batch(x, y, 0.4, seed=7)
    assert 0.5 <= lam <= 1.0 and mixed.shape == x.shape
    ## find each picture's partner from the blend itself: the one picture that completes it
    rest = (mixed - lam * x) / (1 - lam)  # (64, 1, 28, 28): the partner pictures, recovered
    found = torch.cdist(rest.flatten(1), x.flatten(1)).argmin(1)  # (64,)
    assert torch.allclose(rest, x[found], atol=1e-4)
    assert torch.equal(partners, y[found])
    assert (found != torch.arange(64)).sum() > 50  # a shuffle, not the batch with itself
    ## the same seed blends the same way (a resumed run); another seed otherwise
    again, _, lam_again = mix_batch(x, y, 0.4, seed=7)
    assert torch.equal(again, mixed) and lam_again == lam
    assert mix_batch(x, y, 0.4, seed=8)[2] != lam


def _shares(alpha: float) -> torch.Tensor:
    return torch.tensor([mix_batch(torch.ones(4, 1), torch.arange(4), alpha, seed)[2] for seed in range(400)])


def test_a_small_alpha_hardly_blends_and_alpha_one_blends_anywhere():
    assert _shares(0.01).median() > 0.99  # Beta(0.01, 0.01) puts most of its weight at 0 and 1
    assert 0.72 < _shares(1.0).mean() < 0.78  # Beta(1, 1) folded to [0.5, 1]: uniform, mean 0.75


def test_the_loss_is_the_same_blend_of_the_two_answers(digits):
    _, y = digits
    logits = torch.randn(64, 10, generator=torch.Generator().manual_seed(0))
    partners = y.roll(1)
    want = 0.7 * F.cross_entropy(logits, y, label_smoothing=0.1)
    want += 0.3 * F.cross_entropy(logits, partners, label_smoothing=0.1)
    assert torch.allclose(mixed_loss(logits, y, partners, 0.7, 0.1), want)
    assert torch.allclose(mixed_loss(logits, y, partners, 1.0, 0.0), F.cross_entropy(logits, y))


def test_a_run_with_mixup_trains_on_blends_and_still_learns(tmp_path):
    """The same seed and data, with and without mixup: the blends' training loss is higher (a blended
    answer cannot be given with certainty), the test still learned, and config.json records alpha."""
    import nnzero

    runs = {
        alpha: nnzero.train(
            "mnist",
            model="mlp128",
            epochs=1,
            limit=6000,
            mixup=alpha,
            runs_dir=tmp_path,
            name=f"a{alpha}",
            progress=False,
            say=lambda m: None,
        )
        for alpha in (0.0, 0.4)
    }
    assert runs[0.4].config["train"]["mixup"] == 0.4
    assert runs[0.4].history[0]["train_loss"] > runs[0.0].history[0]["train_loss"] + 0.1
    assert runs[0.4].test_accuracy > 0.8


def test_the_command_line_takes_mixup_and_refuses_a_negative_alpha(capsys):
    from nnzero.cli import main

    assert main(["train", "mnist", "--mixup", "0.3", "--dry-run"]) in (0, None)
    assert "mixup=0.3" in capsys.readouterr().out
    assert main(["train", "mnist", "--mixup", "-1"]) not in (0, None)
    assert "train.mixup must be >= 0.0" in capsys.readouterr().err
