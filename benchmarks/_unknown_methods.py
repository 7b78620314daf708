"""The candidate "unknown" scores benchmarks/unknown.py compares; each: higher = more like the known pictures.

Fitted on the training pictures (features and labels), scored on anything; ``nnzero.unknown`` ships
the one that measured best (knn3: the 3rd nearest training picture's cosine similarity).

- msp: the classifier's top probability (Hendrycks & Gimpel 2017)
- energy: log-sum-exp of the classifier's logits (Liu et al. 2020)
- mahalanobis: minus the distance to the nearest class mean, with one covariance shared by the
  classes, shrunk towards a multiple of the identity (Lee et al. 2018; Ledoit-Wolf shrinkage)
- knnK: cosine similarity to the K-th nearest training picture (Sun et al. 2022)
- imagenet_ce: the backbone's own ImageNet classifier: max over classes c of sum_j q_cj log p_j(x), where
  q_c is the mean ImageNet distribution of class c's training photos ("does it look, to ImageNet,
  like the training photos of some class?")
- imagenet_bc: the same with the Bhattacharyya coefficient sum_j sqrt(q_cj p_j(x))
- sum(a+b): each score made robust-z on the validation pictures (median, interquartile range), summed
"""

from __future__ import annotations

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def logsumexp(z: np.ndarray) -> np.ndarray:
    m = z.max(1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(1, keepdims=True)))[:, 0]


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def ledoit_wolf(r: np.ndarray) -> np.ndarray:
    """The shrunk covariance of centred rows r (N, D): (1 - a) S + a m I, a from Ledoit & Wolf (2004)."""
    n, d = r.shape
    s = r.T @ r / n
    m = np.trace(s) / d
    d2 = ((s - m * np.eye(d)) ** 2).sum()
    sq = r**2
    b2 = min(d2, ((sq.T @ sq) / n - s**2).sum() / n)  # the variance of the sample covariance's entries
    a = b2 / d2 if d2 > 0 else 1.0
    return (1 - a) * s + a * m * np.eye(d)


def fit_methods(x: np.ndarray, y: np.ndarray, head, imagenet) -> dict:
    """{name: score(features) -> (N,)} fitted on training features x (N, D) and labels y.
    ``head``: (W, b) of the classifier; ``imagenet``: (W, b) of the backbone's ImageNet head or None."""
    w, b = head
    classes = int(y.max()) + 1
    mu = np.stack([x[y == c].mean(0) for c in range(classes)])  # (C, D)
    precision = np.linalg.inv(ledoit_wolf(x - mu[y]))  # (D, D)
    bank = unit(x)

    def mahalanobis(f):
        d = np.stack([np.einsum("nd,de,ne->n", f - m, precision, f - m) for m in mu], 1)
        return -d.min(1)

    def knn(k):
        return lambda f: np.sort(unit(f) @ bank.T, 1)[:, -k]

    methods = {
        "msp": lambda f: softmax(f @ w.T + b).max(1),
        "energy": lambda f: logsumexp(f @ w.T + b),
        "mahalanobis": mahalanobis,
        **{f"knn{k}": knn(k) for k in (1, 3, 5, 10)},
    }
    if imagenet is not None:
        wi, bi = imagenet
        q = softmax(x @ wi.T + bi)
        qc = np.stack([q[y == c].mean(0) for c in range(classes)])  # (C, 1000)
        methods["imagenet_ce"] = lambda f: (qc @ np.log(softmax(f @ wi.T + bi) + 1e-12).T).max(0)
        methods["imagenet_bc"] = lambda f: (np.sqrt(qc) @ np.sqrt(softmax(f @ wi.T + bi)).T).max(0)
    return methods


COMBINATIONS = [
    ("knn3", "imagenet_ce"),
    ("mahalanobis", "imagenet_ce"),
    ("msp", "knn3"),
    ("energy", "mahalanobis"),
]


def combined(scores: dict, names: tuple[str, ...]) -> dict:
    """{set: summed robust-z scores}: each method centred and scaled on the validation pictures."""
    out = {}
    for name in names:
        v = scores[name]["val"]
        mid, spread = np.median(v), np.subtract(*np.quantile(v, [0.75, 0.25])) + 1e-12
        for s, x in scores[name].items():
            out[s] = out.get(s, 0) + (x - mid) / spread
    return out
