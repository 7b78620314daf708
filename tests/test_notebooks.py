"""The course as notebooks (notebooks/en, notebooks/zh): each runs top to bottom in a fresh kernel.

nbclient starts the kernel named in the notebook ("python3"), which jupyter_client resolves to this
very interpreter when ipykernel is installed here (the ``test`` extra installs it). Each notebook runs
in a temporary copy of the notebooks folder, so its runs/ and files never land in the checkout;
``tests`` is linked beside that copy, as it stands beside notebooks/ in the repo, so the relative path
to the digit photo resolves. The cats-and-dogs notebooks get the photos through NNZERO_CATSDOGS_DIR
(../shared/data/catsdogs/train beside the repo, as CI has it).

    python -m pytest -q tests/test_notebooks.py          # all six, about 4-6 minutes on 2 cores
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
SHARED_DATA = Path(os.environ.get("NNZERO_SHARED_DATA", REPO.parent / "shared" / "data"))
CATSDOGS = SHARED_DATA / "catsdogs" / "train"
ALL = sorted(NOTEBOOKS.glob("*/*.ipynb"))
CELL_TIMEOUT = 300  # seconds for one cell; a whole notebook takes about a minute


def test_every_case_in_both_languages():
    names = {lang: sorted(p.name for p in (NOTEBOOKS / lang).glob("*.ipynb")) for lang in ("en", "zh")}
    assert len(names["en"]) >= 3 and names["en"] == names["zh"], names
    assert all(name.isascii() for name in names["en"])


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_without_outputs(path):
    """The README says notebooks are committed stripped: no outputs, no execution counts."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"][:80]


@pytest.mark.slow  # starts a kernel
def test_kernel_is_this_interpreter(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    printed = nb.cells[0].outputs[0]["text"].strip()
    assert Path(printed).resolve() == Path(sys.executable).resolve()


@pytest.mark.slow
@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_runs(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if "cats" in path.name:
        if not CATSDOGS.is_dir():
            pytest.skip(f"cat and dog photos not found at {CATSDOGS} (set NNZERO_SHARED_DATA)")
        monkeypatch.setenv("NNZERO_CATSDOGS_DIR", str(CATSDOGS))
    shutil.copytree(NOTEBOOKS, tmp_path / "notebooks")
    (tmp_path / "tests").symlink_to(REPO / "tests", target_is_directory=True)
    folder = tmp_path / "notebooks" / path.parent.name
    monkeypatch.delenv("NNZERO_LANG", raising=False)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.read(folder / path.name, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on any error
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any("image/png" in o.get("data", {}) for o in shown), "no figure was drawn"
    assert not any(o.output_type == "error" for o in shown)
