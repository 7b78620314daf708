"""A run's settings, resolved in one place for the library and the command line alike.

Three layers (DESIGN.md, habit 4): the dataclass defaults (``nnzero.config``), then the defaults
the chosen model registers (an MLP trains 256 images a step, a CNN wants augmentation), then what
the user asked for, by the same names as the command's flags::

    data, model, train = resolve_settings("mnist", model="mlp128", epochs=5)
    nnzero train mnist --model mlp128 --epochs 5          # the same three configs

Unknown names and wrong types are errors that list what is known.
"""

from __future__ import annotations

from collections.abc import Iterable

from nnzero.config import DataConfig, ModelConfig, TrainConfig, model_options, overridden, replace
from nnzero.errors import NnzeroError
from nnzero.i18n import tr

DATASETS = ("mnist", "fashion-mnist", "imagefolder", "catsdogs", "photos", "fsdd", "sounds")
## photos: your own classes, transfer learning on cached frozen features (docs/photos.md);
## catsdogs: the course's case 3, a CNN from scratch (it takes the transfer models too)
DEFAULT_MODEL = {
    "mnist": "fastcnn",
    "fashion-mnist": "cnn",
    "imagefolder": "cnn",
    "catsdogs": "resnet_small",
    ## three backbones side by side where the folder is small enough (photos_model below), else lite2
    "photos": "efficientnet_lite012",
    ## sounds as log-mel pictures (docs/sound.md): FSDD's spoken digits, or anyone's folders of clips
    "fsdd": "soundcnn",
    "sounds": "soundcnn",
}
## The photos default, measured on photos no choice had seen (docs/photos.md, benchmarks/photos_backbones.py):
## Lite0, Lite1 and Lite2 side by side 93.0% on the flowers against 90.8% for Lite2 alone, at three times
## Lite2's feature time; so up to TRIO_MAX_PHOTOS photos (about 5 minutes cold on 2 cores), Lite2 beyond
## (the cats and dogs: 3,234 photos, 99.5% and log-loss 0.006 with Lite2 alone in 7 minutes).
TRIO_MAX_PHOTOS = 1500
LARGE_FOLDER_MODEL = "efficientnet_lite2"
SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
## A setting's name (the command's flag without "--", dashes as underscores) -> its config section.
SETTINGS = {
    name: section
    for section, cls in SECTIONS.items()
    for name in cls.__dataclass_fields__
    if (section, name) not in {("data", "dataset"), ("model", "name")}
    and name not in ("num_classes", "in_channels", "image_size", "world_size")
} | {"image_size": "data"}


def default_model(dataset: str) -> str:
    if dataset not in DEFAULT_MODEL:
        raise NnzeroError(
            tr(
                "unknown data set {d!r}; choose one of {known}",
                "未知的数据集 {d!r}; 可选: {known}",
                d=dataset,
                known=", ".join(DATASETS),
            )
        )
    return DEFAULT_MODEL[dataset]


def photos_model(data_dir, fine_tune: bool = False) -> str:
    """The photos default for this folder: the three backbones side by side, or Lite2 alone for a folder
    of more than TRIO_MAX_PHOTOS photos (a scan of the names, nothing decoded), or when fine-tuning is
    asked for (only a single backbone fine-tunes)."""
    from nnzero.datasets.layouts import find_photos

    if fine_tune:
        return LARGE_FOLDER_MODEL

    try:
        count = len(find_photos(data_dir).files) if data_dir else 0
    except (OSError, NnzeroError):
        count = 0  # the run itself will say what is wrong with the folder
    return LARGE_FOLDER_MODEL if count > TRIO_MAX_PHOTOS else DEFAULT_MODEL["photos"]


def _section_of(key: str) -> str:
    if key in SETTINGS:
        return SETTINGS[key]
    raise NnzeroError(
        tr(
            "unknown setting {k!r}; known: {known}",
            "未知的设置 {k!r}; 可用的有: {known}",
            k=key,
            known=", ".join(sorted(SETTINGS)),
        )
    )


def parse_sets(items: Iterable[str]) -> dict[str, dict]:
    """``["train.warmup=0.3"]`` (the command's --set) -> {"train": {"warmup": "0.3"}}."""
    changes: dict[str, dict] = {s: {} for s in SECTIONS}
    for item in items:
        key, sep, value = item.partition("=")
        section, dot, field = key.partition(".")
        if not sep or not dot or section not in changes:
            raise NnzeroError(
                tr(
                    "--set takes SECTION.KEY=VALUE with SECTION data, model or train; got {x!r}",
                    "--set 的格式是 SECTION.KEY=VALUE (SECTION 为 data/model/train), 而不是 {x!r}",
                    x=item,
                )
            )
        changes[section][field] = value
    return changes


def resolve_settings(
    dataset: str = "mnist", model: str | None = None, *, sets: Iterable[str] = (), **settings
) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    """Defaults, then the model's registered defaults, then ``settings`` (None means "not given")."""
    from nnzero.models import model_entry

    name = model or default_model(dataset)
    if model is None and dataset == "photos":
        asked = parse_sets(sets)["train"].get("fine_tune", settings.get("fine_tune"))  # --set wins
        name = photos_model(settings.get("data_dir"), str(asked).lower() not in ("none", "0"))
    if dataset not in DATASETS:
        default_model(dataset)  # raises the "unknown data set" error
    entry = model_entry(name)
    changes: dict[str, dict] = {s: {} for s in SECTIONS}
    if dataset in ("catsdogs", "photos"):
        changes["data"]["image_size"] = entry.image_size  # photos are resized to what the model was built for
    for key, value in entry.train_defaults.items():
        changes[_section_of(key)][key] = value
    for key, value in settings.items():
        if value is not None:
            changes[_section_of(key)][key] = value
    given_sets = parse_sets(sets)
    for section, typed in given_sets.items():
        changes[section] |= typed
    base = {"data": DataConfig(dataset=dataset), "model": ModelConfig(name=name), "train": TrainConfig()}
    resolved = tuple(replace(base[s], s, **changes[s]) for s in SECTIONS)
    longer = _long_schedule(entry, resolved[2].epochs, settings, given_sets)
    return resolved if not longer else tuple(replace(r, s, **longer[s]) for r, s in zip(resolved, SECTIONS))


def _long_schedule(entry, epochs: int, settings: dict, given_sets: dict[str, dict]) -> dict[str, dict]:
    """The model's ``long_defaults`` that the user did not set, when the run is longer than its default."""
    if not entry.long_defaults or epochs <= entry.train_defaults.get("epochs", TrainConfig.epochs):
        return {}
    given = {k for k, v in settings.items() if v is not None}
    given |= {key for typed in given_sets.values() for key in typed}
    longer: dict[str, dict] = {s: {} for s in SECTIONS}
    for key, value in entry.long_defaults.items():
        if key not in given:
            longer[_section_of(key)][key] = value
    return longer


def describe(data: DataConfig, model: ModelConfig, train: TrainConfig) -> str:
    """The line a run prints first: every setting that differs from the defaults."""
    committee = {k: v for k, v in overridden(model).items() if k in ("members", "tta")}
    changed = {
        **overridden(data),
        **overridden(train),
        "model": model.name,
        **model_options(model),
        **committee,
    }
    return tr("settings (differing from defaults): ", "设置 (与默认值不同的): ") + ", ".join(
        f"{k}={v}" for k, v in changed.items()
    )
