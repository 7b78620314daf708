"""Plain warnings about a project's examples, in both languages, for the page to show beside the results.

    advice(classes, features)   # [{"kind": "few", "classes": ["杯子"], "en": "...", "zh": "..."}, ...]

## What makes a small classifier lie is rarely the network: a class with a handful of examples (its
## held-out accuracy rests on one or two photos), classes far out of balance (the model learns to
## favour the big one), and near-identical examples on both sides of the held-out line (the model
## is tested on photos it has in effect already seen). Frames of one held capture are held out
## together (``datasets/bursts.py``); the same scene captured twice, or a photo added twice, is not:
## those are found by their backbone features, almost the same vector for almost the same picture.
"""

from __future__ import annotations

import numpy as np

from nnzero.serving.teach.store import Example

FEW = 10  # examples: fewer and the held-out photos of a class are one or two
IMBALANCE = 3.0  # the largest class over the smallest
## cosine similarity of lite0 features. Measured on 300 flower photos (60 of each class): no two different
## photos above 0.925; a photo shifted by a few pixels, re-encoded or 5% brighter: 0.89 to 0.99 of itself.
## So above 0.97 it is, in effect, the same picture; below, possibly two views of one thing (not flagged).
NEAR_TWIN = 0.97
MAX_PAIRS = 4000  # examples beyond which near-twins are not searched (N x N similarities)


def advice(classes: dict[str, list[Example]], features: dict[str, np.ndarray] | None = None) -> list[dict]:
    """Warnings for ``classes`` ({class: examples}); ``features`` ({example id: vector}) finds near-twins."""
    out = []
    counts = {c: len(items) for c, items in classes.items()}
    few = [c for c, n in counts.items() if n < FEW]
    if few:
        out.append(
            _note(
                "few",
                few,
                f"fewer than {FEW} examples in {', '.join(few)}: add more (from other angles, places and "
                "lights), or its accuracy here rests on one or two photos",
                f"{'、'.join(few)} 的样本少于 {FEW} 个: 请多加一些 (换角度、地点和光线), 否则这里的准确率只靠一两张照片",
            )
        )
    if counts and min(counts.values()) * IMBALANCE < max(counts.values()):
        big, small = max(counts, key=counts.get), min(counts, key=counts.get)
        out.append(
            _note(
                "imbalance",
                [big, small],
                f"the classes are out of balance ({big}: {counts[big]}, {small}: {counts[small]}): "
                "the model learns to favour the big one; add examples to the small ones",
                f"各类别样本数相差太大 ({big}: {counts[big]}, {small}: {counts[small]}): "
                "模型会偏向大的类别; 请给小的类别多加样本",
            )
        )
    single = [c for c, items in classes.items() if len(items) > 1 and len({_burst(e) for e in items}) == 1]
    if single:
        out.append(
            _note(
                "one_burst",
                single,
                f"every example of {', '.join(single)} comes from one held capture: none can be held out "
                "to test it; capture it again at another moment",
                f"{'、'.join(single)} 的所有样本都来自同一次连拍: 没有可以留出来测试的样本; 请换个时候再拍一组",
            )
        )
    twins = near_twins(classes, features or {})
    if twins:
        out.append(
            _note(
                "near_twins",
                sorted({e.label for pair in twins for e in pair}),
                f"{len(twins)} pair(s) of examples are near copies of each other from different captures "
                "(a photo added twice, or one scene captured twice): held-out accuracy may look better than "
                "it is; delete one of each pair",
                f"有 {len(twins)} 对样本几乎相同却来自不同的拍摄 (同一张照片加了两次, 或同一场景拍了两次): "
                "留出集上的准确率可能偏高; 请每对删掉一张",
                examples=[e.id for pair in twins for e in pair],
            )
        )
    return out


def near_twins(classes: dict[str, list[Example]], features: dict[str, np.ndarray]) -> list[tuple]:
    """Pairs of examples of one class, from different bursts, whose features are near-identical."""
    items = [e for examples in classes.values() for e in examples if e.id in features]
    if len(items) < 2 or len(items) > MAX_PAIRS:
        return []
    z = np.stack([features[e.id] for e in items]).astype(np.float32)  # (N, D)
    z /= np.linalg.norm(z, axis=1, keepdims=True) + 1e-12
    similar = np.triu(z @ z.T >= NEAR_TWIN, k=1)  # (N, N)
    pairs = []
    for i, j in zip(*np.nonzero(similar)):
        a, b = items[i], items[j]
        if a.label == b.label and _burst(a) != _burst(b):
            pairs.append((a, b))
    return pairs


def _burst(example: Example) -> str:
    return example.burst or example.id  # a file of its own is a burst of its own


def changed_while_training() -> dict:
    """The warning for a project whose classes changed while it trained: no held-out scores this time."""
    return _note(
        "changed",
        [],
        "a class was added or removed while the model trained, so its held-out photos could not be "
        "scored: press Train again",
        "训练期间有类别被添加或删除, 因此无法给留出的照片打分: 请再按一次训练",
    )


def _note(kind: str, classes: list[str], en: str, zh: str, **extra) -> dict:
    return {"kind": kind, "classes": classes, "en": en, "zh": zh, **extra}
