import pytest

from nnzero.config import DataConfig, TrainConfig, from_dict, overridden, replace, to_dict
from nnzero.errors import NnzeroError


def test_strings_from_the_command_line_become_the_field_types():
    cfg = replace(TrainConfig(), "train", epochs="7", lr="0.01", patience="2")
    assert (cfg.epochs, cfg.lr, cfg.patience) == (7, 0.01, 2)
    data = replace(DataConfig(), "data", augment="false", limit="none", image_size="64")
    assert data.augment is False and data.limit is None and data.image_size == 64


def test_unknown_keys_wrong_types_and_bad_choices_are_errors():
    with pytest.raises(NnzeroError, match="unknown setting train.epoch"):
        replace(TrainConfig(), "train", epoch=3)
    with pytest.raises(NnzeroError, match="train.epochs must be int"):
        replace(TrainConfig(), "train", epochs="three")
    with pytest.raises(NnzeroError, match="train.optimizer must be one of"):
        replace(TrainConfig(), "train", optimizer="lbfgs")
    with pytest.raises(NnzeroError, match="cannot be empty"):
        replace(TrainConfig(), "train", epochs=None)


def test_overridden_lists_only_changes_and_dicts_round_trip():
    cfg = replace(TrainConfig(), "train", epochs=9)
    assert overridden(cfg) == {"epochs": 9}
    back = from_dict(to_dict(train=cfg, data=DataConfig()))
    assert back["train"] == cfg and back["data"] == DataConfig()


@pytest.mark.parametrize(
    "section, key, value",
    [
        ("train", "epochs", 0),
        ("train", "epochs", "-3"),
        ("train", "batch_size", 0),
        ("train", "lr", -1e-3),
        ("train", "fine_tune", -1),
        ("train", "label_smoothing", 1.0),
        ("train", "mixup", -0.2),
        ("data", "val_fraction", 1.5),
        ("data", "limit", 0),
    ],
)
def test_numbers_a_setting_cannot_mean_are_errors(section, key, value):
    config = {"train": TrainConfig(), "data": DataConfig()}[section]
    with pytest.raises(NnzeroError, match=rf"{section}\.{key} must be >="):
        replace(config, section, **{key: value})


def test_the_edges_of_a_settings_range_are_allowed():
    train = replace(TrainConfig(), "train", epochs=1, fine_tune=0, warmup=1.0, label_smoothing=0.0)
    assert (train.epochs, train.fine_tune, train.warmup) == (1, 0, 1.0)
    assert replace(DataConfig(), "data", val_fraction=0.0, limit=None).val_fraction == 0.0
