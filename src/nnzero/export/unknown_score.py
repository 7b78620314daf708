"""The "unknown" score inside the ONNX graph, for checkpoints that carry one (``nnzero.unknown``).

    unknown = Unknown.from_dict(ckpt.get("unknown"))           # None: the checkpoint cannot tell
    module = ScoredClassifier(net, unknown)                    # -> probabilities, logits, unknown_score

The score is nnzero's (nnzero.unknown, "knn-cosine"): the cosine similarity of the features the network's
classifier layer receives to the k-th nearest row of a bank of known pictures' features; a picture is
"unknown" when its score is below the threshold. In the graph that is a normalisation, one matrix product
with the bank (a constant) and a top-k, so every runtime, the web page included, gets the score and
applies the threshold from preprocess.json: ``unknown = unknown_score < threshold``.
"""

from __future__ import annotations

import torch

from nnzero.export.onnx_graph import Classifier
from nnzero.unknown import Unknown
from nnzero.unknown.features import collecting_features

OUTPUT = "unknown_score"


def unknown_document(unknown: Unknown | None) -> dict | None:
    """preprocess.json's "unknown": which output holds the score and how it decides."""
    if unknown is None:
        return None
    return {
        "output": OUTPUT,
        "method": "knn-cosine",
        "k": unknown.k,
        "rule": "unknown when unknown_score < threshold",
    }


class ScoredClassifier(Classifier):
    """(probabilities, logits, unknown_score): the score (N,) is the k-th largest cosine similarity of the
    classifier layer's input to the bank's rows (already of length 1), as ``Unknown.scores`` computes it."""

    def __init__(self, net: torch.nn.Module, unknown: Unknown):
        super().__init__(net)
        self.register_buffer("bank", unknown.bank.float())  # (M, D)
        self.k = max(1, min(unknown.k, len(unknown.bank)))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        with collecting_features(self.net) as seen:  ## the same hook nnzero.unknown reads features with
            probabilities, logits = super().forward(image)
        features = seen[-1]  # (N, D)
        unit = features / features.norm(dim=1, keepdim=True).clamp_min(1e-12)
        score = (unit @ self.bank.T).topk(self.k, dim=1).values[:, -1]  # (N,)
        return probabilities, logits, score
