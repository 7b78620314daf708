"""Frames of one capture burst are held out together: validation never judges a frame by its twin.

    groups = burst_groups(["mug/3fa0c1b2-00a1b2.jpg", "mug/3fa0c1b2-77c0de.jpg", "cat.1.jpg"])  # [0, 0, 1]
    chosen = pick_groups(rng, members, groups, k)   # about k of members, whole groups only, picked at random

## Holding a capture button on a webcam takes several frames a second of the same scene. Split those
## frames one by one into training and validation photos and nearly every validation frame has a near
## twin among the training frames: validation says 100% while the model has learned the scene, not the
## class. So a burst is the unit that is held out, never a frame of it.

The Teach page names every example ``BURST-FRAME.jpg`` (8 and 6 hex digits; ``serving/teach``): the frames
of one held capture share ``BURST``. Any other file is a burst of its own, so folders that were not made by
the Teach page are split exactly as before (a test checks the same photos are chosen).
"""

from __future__ import annotations

import os
import re

import numpy as np

BURST_NAME = re.compile(r"^([0-9a-f]{8})-[0-9a-f]{6}\.jpg$")


def burst_of(file_name: str) -> str | None:
    """The burst a Teach example belongs to ('3fa0c1b2' for '3fa0c1b2-00a1b2.jpg'), or None for any other file."""
    match = BURST_NAME.match(os.path.basename(file_name))
    return match.group(1) if match else None


def burst_groups(files: list[str]) -> np.ndarray:
    """A group number for each file (N,): the frames of one burst share one, every other file has its own."""
    numbers: dict[str, int] = {}
    out = np.empty(len(files), np.int64)
    for i, name in enumerate(files):
        burst = burst_of(name)
        key = f"burst:{burst}" if burst else f"file:{i}"
        out[i] = numbers.setdefault(key, len(numbers))
    return out


def pick_groups(
    rng: np.random.Generator,
    members: np.ndarray,
    groups: np.ndarray | None,
    k: int,
    at_least_one: bool = False,
) -> np.ndarray:
    """About ``k`` of ``members``, whole groups only (groups: one number per photo; None: each photo alone).

    Groups are taken in a random order, each one that still fits under ``k`` photos, so the held-out share
    stays near what was asked even when one burst holds most of a class. ``at_least_one``: when none
    fits, the smallest group (if there are two or more). With every photo a group of its own this draws
    exactly the photos ``rng.permutation(members)[:k]`` draws."""
    if groups is None:
        return rng.permutation(members)[: max(k, int(at_least_one))]
    units, first, sizes = np.unique(groups[members], return_index=True, return_counts=True)
    by_appearance = np.argsort(first)  # each photo alone: the members' own order
    units, sizes = units[by_appearance], sizes[by_appearance]
    order = rng.permutation(len(units))
    chosen, total = [], 0
    for u in order:
        if total + sizes[u] <= k:
            chosen.append(units[u])
            total += sizes[u]
        if total == k:
            break
    if not chosen and at_least_one and len(units) > 1:
        chosen = [units[min(order, key=lambda u: sizes[u])]]  # the first smallest in the random order
    return members[np.isin(groups[members], chosen)]
