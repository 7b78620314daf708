"""An honest "unknown": the answer of a classifier shown something that is none of its classes.

    from nnzero.unknown import fit_unknown, Unknown
    unknown = fit_unknown(known_features, coverage=0.95)     # features of the training (+ validation) photos
    unknown.flags(features)                                  # (N,) True: none of my classes
    ckpt["unknown"] = unknown.to_dict()                      # plain tensors: loads with weights_only=True

## A classifier's softmax always sums to 1 over its own classes: shown a cat, a flowers model
## must name a flower, and often does so with confidence. What the network's features know is
## how far a new picture is from every picture it learned from. The score here is the cosine
## similarity of a picture's features to its k-th nearest training picture (Sun et al. 2022,
## "Out-of-distribution detection with deep nearest neighbors"); below a threshold, chosen so
## that a share of known pictures (the coverage, 95%) is still answered, the answer is "unknown".
## benchmarks/unknown.py measures it against the top probability, energy, Mahalanobis distance and
## the backbone's own ImageNet classifier (docs/photos.md).

``features.py`` takes the features a network's last layer sees; ``nearest.py`` is the score and
its threshold; ``detector.py`` the whole thing as a checkpoint carries it.
"""

from nnzero.unknown.detector import Unknown, fit_unknown
from nnzero.unknown.features import features_and_logits

__all__ = ["Unknown", "features_and_logits", "fit_unknown"]
