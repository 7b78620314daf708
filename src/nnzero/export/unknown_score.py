"""The "unknown" score inside the ONNX graph, for checkpoints that carry one (issue 23's ``ckpt["unknown"]``).

    entry = unknown_entry(ckpt)        # {"bank": (M, D), "k": 3, "threshold": 0.71} or None
    module = ScoredClassifier(net, entry["bank"], entry["k"])   # -> probabilities, logits, unknown_score

The score is what nnzero computes (nnzero.unknown, "knn-cosine"): the cosine similarity of the features
the network's last linear layer receives to the k-th nearest row of a bank of known pictures' features;
a picture is "unknown" when its score is below the threshold. In the graph that is a normalisation, one
matrix product with the bank (a constant) and a top-k, so every runtime, the web page included, gives
the score and applies the threshold from preprocess.json: ``unknown = unknown_score < threshold``.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from nnzero.export.onnx_graph import Classifier

OUTPUT = "unknown_score"
METHOD = "knn-cosine"


def unknown_entry(ckpt: dict) -> dict | None:
    """The checkpoint's unknown score as the graph needs it, or None when it has none nnzero can export."""
    entry = ckpt.get("unknown")
    if not entry or entry.get("method") != METHOD:
        return None
    return {
        "bank": torch.as_tensor(entry["bank"]).float(),
        "k": int(entry["k"]),
        "threshold": float(entry["threshold"]),
    }


def features_layer(model: nn.Module) -> nn.Linear:
    """The last linear layer, whose input are the features the score compares: a pretrained backbone's
    head (``model.head()``), else the last ``nn.Linear`` (the rule nnzero.unknown reads them by)."""
    head = model.head() if callable(getattr(model, "head", None)) else None
    if isinstance(head, nn.Linear):
        return head
    return [m for m in model.modules() if isinstance(m, nn.Linear)][-1]


class ScoredClassifier(Classifier):
    """(probabilities, logits, unknown_score): the score (N,) is the k-th largest cosine similarity of the
    features to the bank's rows (already of length 1)."""

    def __init__(self, net: nn.Module, bank: torch.Tensor, k: int):
        super().__init__(net)
        self.register_buffer("bank", bank.float())  # (M, D)
        self.k = min(k, len(bank))
        self.layer = features_layer(net)

    @contextlib.contextmanager
    def _features(self):
        seen: list[torch.Tensor] = []
        hook = self.layer.register_forward_pre_hook(lambda _m, inputs: seen.append(inputs[0]))
        try:
            yield seen
        finally:
            hook.remove()

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        with self._features() as seen:
            probabilities, logits = super().forward(image)
        features = seen[-1].flatten(1).float()  # (N, D)
        unit = features / features.norm(dim=1, keepdim=True).clamp_min(1e-12)
        score = (unit @ self.bank.T).topk(self.k, dim=1).values[:, -1]  # (N,)
        return probabilities, logits, score
