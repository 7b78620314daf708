"""DESIGN.md's layer order, checked by import-linter (the contracts are in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_every_import_points_down_the_layers_and_scratch_never_imports_torch():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    done = subprocess.run([exe], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    contracts = (REPO / "pyproject.toml").read_text().count("[[tool.importlinter.contracts]]")
    assert f"{contracts} kept, 0 broken" in done.stdout  # every contract ran and held


@pytest.mark.slow  # a fresh interpreter (about 4 s)
def test_import_nnzero_is_light_and_the_front_door_resolves_lazily():
    code = (
        "import sys, nnzero; assert 'torch' not in sys.modules, 'import nnzero loaded torch'; "
        "t = nnzero.train; e = nnzero.evaluate; l = nnzero.load; R = nnzero.Run; f = nnzero.scratch.fit; "
        "import nnzero.evaluation.api as api; assert t is api.train and f.__module__ == 'nnzero.scratch.fitting'"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
