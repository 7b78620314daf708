"""Registered models: ``create_model(name)``, ``list_models()``, ``@register_model``.

Importing this package registers every built-in model.
"""

from nnzero.models import digits, photos, resnet, sounds  # noqa: F401,E402  (registers MNIST, photo, sound models)

# isort: split
from nnzero.models import lite  # noqa: F401,E402  (EfficientNet-Lite0/1/2, after the ResNets)

# isort: split
from nnzero.models import committee  # noqa: F401,E402  (committees of digit models, after them)
from nnzero.models._registry import (
    ModelEntry,
    count_parameters,
    create_model,
    list_models,
    model_entry,
    register_model,
)
from nnzero.models.summary import summarize  # noqa: E402

__all__ = [
    "ModelEntry",
    "count_parameters",
    "create_model",
    "list_models",
    "model_entry",
    "register_model",
    "summarize",
]
