import pytest
import torch

from nnzero.models import count_parameters, create_model, list_models, model_entry
from nnzero.models.summary import format_summary, summarize


@pytest.mark.parametrize("name", list_models())
def test_every_registered_model_builds_runs_and_learns_one_step(name):
    """One forward/backward on the model's own input size: right logits shape, finite gradients."""
    entry = model_entry(name)
    model = create_model(name)
    x = torch.randn(4, entry.in_channels, entry.image_size, entry.image_size)
    logits = model(x)
    assert logits.shape == (4, entry.num_classes)
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 0, 1])).backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)


def test_the_course_models_have_the_course_parameter_counts():
    assert count_parameters(create_model("mlp256")) == 203_530  # "The model has 203530 trainable parameters"
    assert count_parameters(create_model("mlp128")) == 101_770  # Keras: Dense(128) + Dense(10)
    assert count_parameters(create_model("mlp64x3")) == 59_210


def test_summary_lists_layers_shapes_and_total():
    rows = summarize(create_model("lenet5"), (1, 28, 28))
    assert rows[0][1] == (1, 6, 28, 28) and rows[-1][1] == (1, 10)
    assert sum(r[2] for r in rows) == count_parameters(create_model("lenet5"))
    assert "61,706" in format_summary(create_model("lenet5"), (1, 28, 28))


def test_unknown_model_names_the_choices():
    from nnzero.errors import NnzeroError

    with pytest.raises(NnzeroError, match="choose from: .*mlp128"):
        create_model("resnet9000")
