"""Models by name (after timm's ``_registry.py``).

A factory is a small function ``f(num_classes, in_channels, image_size) -> nn.Module``
decorated with ``@register_model``. ``--model`` choices, ``nnzero models`` and the test
that runs every model all read this one table.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from nnzero.errors import NnzeroError


@dataclass(frozen=True)
class ModelEntry:
    name: str
    factory: Callable[..., nn.Module]
    description: str  # one line, English
    description_zh: str  # the same in Chinese
    task: str  # "digits" (28x28 grey) or "photos" (colour, any size)
    image_size: int  # the size it is built for by default
    in_channels: int
    num_classes: int
    train_defaults: dict = field(default_factory=dict)  # TrainConfig/DataConfig fields it trains best with
    ## pretrained backbones: {"imagenet_top1": %, "weights": where they come from, "package": pip name}
    pretrained: dict = field(default_factory=dict)
    ## settings that replace some of train_defaults when a run is given more epochs than they say:
    ## a longer schedule wants a lower peak rate and augmentation (the user's own settings still win)
    long_defaults: dict = field(default_factory=dict)
    ## a committee: the member models, in turn (a committee of 5 from ("a", "b"): a, b, a, b, a)
    committee_of: tuple[str, ...] = ()


_MODELS: dict[str, ModelEntry] = {}


def register_model(
    *,
    description: str,
    description_zh: str,
    task: str = "digits",
    image_size: int = 28,
    in_channels: int = 1,
    num_classes: int = 10,
    train_defaults: dict | None = None,
    pretrained: dict | None = None,
    long_defaults: dict | None = None,
    name: str | None = None,
    committee_of: tuple[str, ...] = (),
):
    """Decorator: add the factory to the registry under ``name`` (default: its function name)."""

    def add(factory):
        key = name or factory.__name__
        if key in _MODELS:
            raise ValueError(f"model {key!r} is registered twice")
        _MODELS[key] = ModelEntry(
            key,
            factory,
            description,
            description_zh,
            task,
            image_size,
            in_channels,
            num_classes,
            dict(train_defaults or {}),
            dict(pretrained or {}),
            dict(long_defaults or {}),
            tuple(committee_of),
        )
        return factory

    return add


def model_entry(name: str) -> ModelEntry:
    if name not in _MODELS:
        raise NnzeroError(f"unknown model {name!r}; choose from: {', '.join(list_models())}")
    return _MODELS[name]


def list_models(task: str | None = None) -> list[str]:
    return [n for n, e in _MODELS.items() if task is None or e.task == task]


def create_model(
    name: str,
    num_classes: int | None = None,
    in_channels: int | None = None,
    image_size: int | None = None,
    **kwargs,
) -> nn.Module:
    """Build a registered model; sizes not given take the model's defaults.

    ``kwargs`` are model options (``pretrained``, ``weights``, ``freeze_backbone``) that only
    some factories take; giving one to a model without it is an error, not silently ignored.
    """
    entry = model_entry(name)
    accepted = inspect.signature(entry.factory).parameters
    unknown = [k for k in kwargs if k not in accepted]
    if unknown:
        raise NnzeroError(f"model {name!r} has no option {', '.join(unknown)}")
    return entry.factory(
        num_classes=num_classes or entry.num_classes,
        in_channels=in_channels or entry.in_channels,
        image_size=image_size or entry.image_size,
        **kwargs,
    )


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
