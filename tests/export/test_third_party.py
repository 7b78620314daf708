"""A third party, with preprocess.json and model.onnx alone, gets `nnzero predict`'s answers on real pictures.

tests/export/third_party.py is written from preprocess.json's words (Pillow, NumPy, onnxruntime); it runs
in a separate Python where `import nnzero` fails. The issue's target: the same top-1 as `nnzero predict` for
>= 99% of real digit photos (tests/fixtures/digits) and real photos (flowers, cats and dogs).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnzero.cli import main

from .conftest import digit_files, shared_photos

pytest.importorskip("onnxruntime", reason="pip install 'nnzero[export]'")
THIRD_PARTY = Path(__file__).with_name("third_party.py")
BLOCK_NNZERO = "import sys, runpy; sys.modules['nnzero'] = None; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


def third_party(folder: Path, files: list[Path]) -> dict[str, dict]:
    """{file: {"top1", "probs"}} from the third party's program, run where nnzero cannot be imported."""
    command = [sys.executable, "-c", BLOCK_NNZERO, str(THIRD_PARTY), str(folder), *map(str, files)]
    lines = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=300
    ).stdout.splitlines()
    return {answer["file"]: answer for answer in map(json.loads, lines)}


def nnzero_predict(checkpoint: Path, files: list[Path], capsys) -> dict[str, dict]:
    capsys.readouterr()
    assert (
        main(["predict", str(checkpoint), *map(str, files), "--json", "--top", "1", "--device", "cpu"]) == 0
    )
    return {line["file"]: line["top"][0] for line in map(json.loads, capsys.readouterr().out.splitlines())}


def agreement(ours: dict, theirs: dict) -> tuple[float, float]:
    """(share with the same top-1, max |difference| of that class's probability)."""
    same = [theirs[f]["top1"] == ours[f]["label"] for f in ours]
    gap = max(abs(max(theirs[f]["probs"]) - ours[f]["prob"]) for f in ours)
    return sum(same) / len(same), gap


def test_digit_photos(small_checkpoint, tmp_path, capsys):
    from nnzero.export import export_model

    export_model(small_checkpoint, tmp_path / "onnx", check=2)
    files = digit_files()
    ours, theirs = nnzero_predict(small_checkpoint, files, capsys), third_party(tmp_path / "onnx", files)
    share, gap = agreement(ours, theirs)
    assert len(ours) == 12 and share >= 0.99 and gap <= 1e-4, (share, gap)
    ## a real trained model: most of the photos are read as the digit they show (d<digit>_...)
    assert sum(ours[str(f)]["label"] == f.name[1] for f in files if f.name.startswith("d")) >= 7


@pytest.mark.slow  # exports efficientnet_lite0 and runs it on 100 photos, twice (about 40 s)
def test_flowers_cats_and_dogs(exported, capsys):
    checkpoint, folder = exported("efficientnet_lite0")
    files = shared_photos("flowers", 50) + shared_photos("pets", 50)
    ours, theirs = nnzero_predict(checkpoint, files, capsys), third_party(folder, files)
    share, gap = agreement(ours, theirs)
    assert len(ours) == 100 and share >= 0.99 and gap <= 1e-4, (share, gap)
