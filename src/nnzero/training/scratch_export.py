"""``nnzero scratch export``: a NumPy-engine network (model.npz) as an nnzero checkpoint (best.pt).

The network is rebuilt as its registered PyTorch twin (``nnzero.models.from_scratch``), both
classify the same real test digits, and only when their logits agree is the checkpoint written;
it then evaluates, predicts and serves like any trained model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nnzero.datasets.base import input_spec
from nnzero.errors import NnzeroError
from nnzero.models.from_scratch import model_kwargs, to_torch
from nnzero.scratch.network import Sequential


def _nnzero_config(name: str, kwargs: dict, meta: dict) -> dict:
    """The scratch run's settings as far as nnzero's config can say them (its own config.json has them all)."""
    from nnzero.config import DataConfig, ModelConfig, TrainConfig, replace, to_dict

    data, train = meta.get("config", {}).get("data", {}), meta.get("config", {}).get("train", {})
    ## The scratch trainer holds out no validation set: it trains on all the training images.
    data_cfg = replace(
        DataConfig(),
        "data",
        val_fraction=0.0,
        dataset=meta.get("dataset", "mnist"),
        data_dir=data.get("data_dir"),
        limit=data.get("limit"),
    )
    changes = {
        k: train[k] for k in ("epochs", "batch_size", "lr", "weight_decay", "seed", "schedule") if k in train
    }
    optimizer = {"adam": "adam", "sgd": "sgd", "momentum": "sgd"}.get(train.get("optimizer"))
    if optimizer:
        changes["optimizer"] = optimizer
    return to_dict(
        data=data_cfg,
        model=replace(ModelConfig(), "model", name=name, **kwargs),
        train=replace(TrainConfig(), "train", **changes),
    )


def _check_images(meta: dict, spec: dict, n: int) -> np.ndarray:
    """Real inputs of the network's kind (n, S, S): FSDD's log-mel pictures for a sound network, else MNIST's."""
    if spec.get("kind") == "sound":
        from nnzero.config import DataConfig
        from nnzero.datasets.sounds import load_sounds

        data = DataConfig(dataset=meta.get("dataset", "fsdd"), data_dir=meta["config"]["data"]["data_dir"])
        return load_sounds(data, "test", quiet=True).images[:n, 0]
    from nnzero.datasets.mnist import load_arrays

    return load_arrays("test")[0][:n]


def export_checkpoint(
    npz: Path, out: Path, model_name: str | None = None, dry_run: bool = False, check_images: int = 100
) -> dict:
    """Write ``out``, an nnzero checkpoint of the registered twin of the network saved in ``npz``.

    Before writing, both networks classify the same real test images (MNIST digits, or FSDD's log-mel
    pictures for a sound network); their logits must agree (float32 rounding aside), or nothing is written.
    """
    from nnzero.scratch.trainer import normalise
    from nnzero.training.checkpoint import save_checkpoint

    net = Sequential.load(npz).eval()
    name, model = to_torch(net, model_name)
    meta = net.meta
    spec = meta.get("input_spec") or input_spec("digits", 1, 28, [0.1307], [0.3081])
    images = _check_images(meta, spec, check_images)  # (n, S, S) uint8, real inputs
    x = normalise(images, spec["mean"][0], spec["std"][0], net.dtype)  # (n, 1, S, S)
    with torch.no_grad():
        theirs = model(torch.from_numpy(x.astype(np.float32))).numpy()  # (n, K)
    difference = float(np.abs(theirs - net.predict(x)).max())
    if difference > 1e-3:
        raise NnzeroError(f"export check failed: logits differ by {difference:.3g} on real test images")
    result = {
        "model_name": name,
        "model_kwargs": model_kwargs(net),
        "images_checked": len(x),
        "max_logit_difference": difference,
        "checkpoint": None,
        "source": str(npz),
    }
    if not dry_run:
        save_checkpoint(
            out,
            model,
            model_name=name,
            model_kwargs=result["model_kwargs"],
            classes=meta.get("classes", [str(d) for d in range(10)]),
            input_spec=spec,
            metrics=meta.get("metrics", {}),
            config=_nnzero_config(name, result["model_kwargs"], meta),
            dataset=meta.get("dataset", "mnist"),
        )
        result["checkpoint"] = str(out)
    return result
