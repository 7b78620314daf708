"""Shared by the scratch tests: float64 random inputs and a torch oracle helper."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
