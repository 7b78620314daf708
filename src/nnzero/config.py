"""Settings for data, model and training, as frozen dataclasses with commented defaults.

A run's settings are built in three layers: the defaults below, then the defaults the
chosen model registers (a CNN wants augmentation, an MLP does not), then what the user
typed. Unknown keys and values of the wrong type are errors, and what was overridden
is printed, so a run's log says exactly how it differs from the defaults.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, fields

from nnzero.errors import NnzeroError
from nnzero.i18n import tr


@dataclass(frozen=True)
class DataConfig:
    dataset: str = "mnist"  # mnist | fashion-mnist | imagefolder | catsdogs | photos | fsdd | sounds
    data_dir: str | None = None  # None: MNIST's copy shipped inside the package
    val_fraction: float = 0.1  # share of the training set held out for validation
    image_size: int | None = None  # side of the square images fed to the model; None: dataset's own
    limit: int | None = None  # use only the first N training images (quick runs, tests)
    augment: bool = False  # random shifts/rotations (digits) or crops/flips (photos), on batches
    ## sound sets (fsdd, sounds; docs/sound.md): which clips are the test set: auto | takes | speaker | speaker:NAME
    split: str = "auto"
    ## sound: seconds of sound in one picture (None: 1.5 for fsdd; for sounds, from the clips' lengths)
    clip_seconds: float | None = None
    sample_rate: int | None = None  # sound: clips are resampled to this (None: 8000 fsdd, 16000 sounds)
    synthetic: int = 0  # fsdd: also train on the digits said by this many espeak-ng voices
    ## photos, augmented: train on random crops of this side (validation and test photos stay at
    ## image_size); None: crops at image_size
    crop_size: int | None = None
    ## seeds the validation split (and --limit's subset); None: train.seed. A committee's members
    ## share their committee's split, so that it can be validated on images none of them saw
    split_seed: int | None = None


@dataclass(frozen=True)
class ModelConfig:
    name: str = "cnn"  # a name from `nnzero models`
    num_classes: int = 10  # set from the data set
    in_channels: int = 1  # 1 grey, 3 colour; set from the data set
    image_size: int = 28  # set from the data set
    ## start from ImageNet weights (resnet18/34 download them; efficientnet_lite0 has them)
    pretrained: bool = False
    weights: str | None = None  # start from the weights in this local file instead
    freeze_backbone: bool = False  # train only the new classifier head of a pretrained model
    ## a committee: this many networks, each from its own seed, their probabilities averaged
    members: int = 1
    ## test-time augmentation kept in the checkpoint: none | shifts (the image and 1-pixel shifts of it)
    tta: str = "none"


MODEL_OPTIONS = ("pretrained", "weights", "freeze_backbone")  # passed to the factory only when set


def model_options(model: ModelConfig) -> dict:
    """The options a model factory gets beyond its sizes (none for most models)."""
    return {k: getattr(model, k) for k in MODEL_OPTIONS if getattr(model, k) not in (None, False)}


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 3  # passes over the training set
    batch_size: int = 128  # images per gradient step (global, over all processes)
    optimizer: str = "adam"  # adam | adamw | sgd
    lr: float = 3e-3  # peak learning rate, for the global batch (not scaled by the number of processes)
    momentum: float = 0.9  # sgd only
    beta1: float = 0.9  # adam/adamw: how slowly the running mean of the gradient forgets
    beta2: float = 0.999  # adam/adamw: the same for the running mean of its square
    weight_decay: float = 0.0  # L2 penalty (decoupled for adamw)
    schedule: str = "onecycle"  # onecycle | cosine | constant
    warmup: float = 0.2  # onecycle: share of the steps spent rising to the peak
    label_smoothing: float = 0.0  # 0 is plain cross-entropy
    ## mixup: train on blends of two pictures, the blend's share drawn from Beta(mixup, mixup); 0: off
    mixup: float = 0.0
    ## validate, keep and test a moving average of the weights with this decay per step (0: off)
    ema: float = 0.0
    patience: int = 0  # early stopping: epochs without a better val accuracy; 0 never stops
    ## which epoch's weights best.pt keeps (and the run tests): accuracy (the best validation accuracy,
    ## the first if tied) | loss (the lowest validation loss) | last (the final epoch: on a small
    ## validation set the best epoch is partly luck; docs/sound.md measured it)
    keep: str = "accuracy"
    seed: int = 0  # seeds weights, shuffling, augmentation and the validation split
    device: str = "auto"  # auto | cpu | cuda | cuda:1 | mps
    ## fp32 | bf16: the forward pass and loss in bfloat16 (autocast), weights and tests in float32;
    ## auto: bf16 where the device has bfloat16 hardware, else fp32 (config.json records which)
    precision: str = "fp32"
    eval_batch_size: int = 1000  # images per forward pass in evaluation
    ## steps between the rows of steps.csv (training loss, accuracy, learning rate); 0: chosen so
    ## that a run has 50-125 rows (1, 2, 5, 10, 20, 50, ... steps); config.json records the choice
    log_every: int = 0
    ## photos on a frozen backbone: after the head is fitted, train the last blocks for this many
    ## epochs (kept only if validation log-loss improves); 0: the head alone; None: the run chooses
    ## 0 or 8 for the folder (training/transfer/recipe.py) and config.json records the choice and why
    fine_tune: int | None = None
    fine_tune_blocks: int = 2  # the backbone's last blocks that learn (with its 1x1 head conv)
    fine_tune_lr: float = 3e-4  # peak learning rate (cosine to zero), AdamW; 1e-3 hurt cats/dogs (measured)
    ## answer "unknown" below a similarity to the known pictures that keeps this share of them answered
    ## (nnzero.unknown, benchmarks/unknown.py); 0: the checkpoint never says unknown
    unknown_coverage: float = 0.95
    ## processes that trained together (torchrun's WORLD_SIZE); each took batch_size / world_size
    world_size: int = 1


SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
RECORDS = ("choice",)  # config.json keys that record what a run chose and why: not settings, not read back
CHOICES = {
    ("data", "dataset"): ("mnist", "fashion-mnist", "imagefolder", "catsdogs", "photos", "fsdd", "sounds"),
    ("train", "optimizer"): ("adam", "adamw", "sgd"),
    ("train", "schedule"): ("onecycle", "cosine", "constant"),
    ("train", "precision"): ("fp32", "bf16", "auto"),
    ("train", "keep"): ("accuracy", "loss", "last"),
    ("model", "tta"): ("none", "shifts"),
}

## Numbers a setting may take: (lowest, highest, is the highest itself allowed); None: no bound.
RANGES = {
    ("train", "epochs"): (1, None, True),
    ("train", "batch_size"): (1, None, True),
    ("train", "eval_batch_size"): (1, None, True),
    ("train", "log_every"): (0, None, True),
    ("train", "patience"): (0, None, True),
    ("train", "lr"): (1e-12, None, True),
    ("train", "weight_decay"): (0.0, None, True),
    ("train", "label_smoothing"): (0.0, 1.0, False),
    ("train", "ema"): (0.0, 1.0, False),
    ("train", "mixup"): (0.0, None, True),
    ("train", "warmup"): (0.0, 1.0, True),
    ("train", "fine_tune"): (0, None, True),
    ("train", "fine_tune_blocks"): (1, None, True),
    ("train", "fine_tune_lr"): (1e-12, None, True),
    ("train", "unknown_coverage"): (0.0, 1.0, False),
    ("data", "val_fraction"): (0.0, 1.0, False),
    ("data", "limit"): (1, None, True),
    ("data", "image_size"): (1, None, True),
    ("data", "clip_seconds"): (0.05, 60.0, True),
    ("data", "sample_rate"): (4000, 96000, True),
    ("data", "synthetic"): (0, 2000, True),
    ("data", "crop_size"): (8, None, True),
    ("data", "split_seed"): (0, None, True),
    ("model", "members"): (1, None, True),
}


def _check_range(section: str, key: str, value) -> None:
    """A number outside what the setting can mean (a negative epoch count, a fraction of 1.5) is an error."""
    low, high, high_ok = RANGES.get((section, key), (None, None, True))
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    too_high = high is not None and (value > high or (value == high and not high_ok))
    if (low is not None and value < low) or too_high:
        bound = f"{'<=' if high_ok else '<'} {high}"
        upper = "" if high is None else tr(" and {b}", " 且 {b}", b=bound)
        raise NnzeroError(
            tr(
                "{s}.{k} must be >= {low}{upper}, got {v!r}",
                "{s}.{k} 必须 >= {low}{upper}, 而不是 {v!r}",
                s=section,
                k=key,
                low=low,
                upper=upper,
                v=value,
            )  # fmt: skip
        )


def _allowed_types(annotation) -> tuple[type, ...]:
    hint = eval(annotation, {}) if isinstance(annotation, str) else annotation  # noqa: S307 - our own annotations
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return tuple(typing.get_args(hint))
    return (hint,)


def _coerce(section: str, key: str, value, annotation):
    """Turn a value (maybe a string from the command line) into the field's type, or fail clearly."""
    allowed = _allowed_types(annotation)
    if value is None or (isinstance(value, str) and value.lower() == "none"):
        if type(None) in allowed:
            return None
        if value is None or str not in allowed:  # a text setting may be the word "none" (model.tta)
            raise NnzeroError(f"{section}.{key} cannot be empty")
    for kind in allowed:
        if kind is type(None):
            continue
        if kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
                return value.lower() in ("true", "1", "yes")
            continue
        if isinstance(value, kind) and not isinstance(value, bool):
            return value
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return kind(value)
            except ValueError:
                continue
    names = " or ".join(k.__name__ for k in allowed if k is not type(None))
    raise NnzeroError(f"{section}.{key} must be {names}, got {value!r}")


def replace(config, section: str, **changes):
    """A copy of ``config`` with ``changes``; unknown keys, wrong types and bad choices are errors."""
    known = {f.name: f for f in fields(config)}
    clean = {}
    for key, value in changes.items():
        if key not in known:
            raise NnzeroError(f"unknown setting {section}.{key}; known: {', '.join(sorted(known))}")
        value = _coerce(section, key, value, known[key].type)
        choices = CHOICES.get((section, key))
        if choices and value not in choices:
            raise NnzeroError(
                tr(
                    "{s}.{k} must be one of {c}, got {v!r}",
                    "{s}.{k} 必须是 {c} 之一, 而不是 {v!r}",
                    s=section, k=key, c=", ".join(choices), v=value,
                )
            )  # fmt: skip
        _check_range(section, key, value)
        clean[key] = value
    return dataclasses.replace(config, **clean)


def overridden(config) -> dict:
    """The fields whose value differs from the class default."""
    default = type(config)()
    return {
        f.name: getattr(config, f.name)
        for f in fields(config)
        if getattr(config, f.name) != getattr(default, f.name)
    }


def to_dict(**sections) -> dict:
    return {name: dataclasses.asdict(cfg) for name, cfg in sections.items()}


def from_dict(raw: dict) -> dict:
    """{'data': DataConfig, 'model': ModelConfig, 'train': TrainConfig} from a saved config.json."""
    unknown = set(raw) - set(SECTIONS) - set(RECORDS)
    if unknown:
        raise NnzeroError(f"unknown config sections: {', '.join(sorted(unknown))}")
    return {name: replace(cls(), name, **raw.get(name, {})) for name, cls in SECTIONS.items()}
