"""A small real committee: three mlp128 networks, one epoch each on 3,000 MNIST images, with test-time shifts."""

from __future__ import annotations

import pytest

QUIET = {"progress": False, "say": lambda message: None}
## the committee's recipe, shared by the tests that train it again (resume, the command line)
SMALL = {"model": "mlp128", "members": 3, "epochs": 1, "limit": 3000, "workers": 1}


@pytest.fixture(scope="session")
def committee_run(tmp_path_factory):
    import nnzero

    runs = tmp_path_factory.mktemp("committees")
    return nnzero.train("mnist", **SMALL, tta="shifts", name="three", runs_dir=runs, **QUIET)


@pytest.fixture(scope="session")
def test_digits():
    """The first 200 real MNIST test digits, uint8 (200, 1, 28, 28), and their labels."""
    from nnzero.datasets import load_arrays

    images, labels = load_arrays("test")
    return images[:200, None].copy(), labels[:200].copy()
