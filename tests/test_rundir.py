"""Run folders: never shared, never overwritten."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from nnzero.errors import NnzeroError
from nnzero.rundir import new_run_dir


def test_runs_started_in_the_same_second_get_their_own_folders(tmp_path, monkeypatch):
    monkeypatch.setattr(time, "strftime", lambda fmt: "20261205-120000")  # every run in one second
    with ThreadPoolExecutor(8) as pool:
        folders = list(pool.map(lambda _: new_run_dir(tmp_path, None, "fsdd", "soundcnn"), range(8)))
    assert len(set(folders)) == 8
    assert sorted(f.name for f in folders) == sorted(
        ["fsdd-soundcnn-20261205-120000"] + [f"fsdd-soundcnn-20261205-120000-{n}" for n in range(2, 9)]
    )
    assert all(f.is_dir() and not any(f.iterdir()) for f in folders)


def test_a_named_run_is_never_overwritten(tmp_path):
    first = new_run_dir(tmp_path, "mine", "mnist", "fastcnn")
    assert new_run_dir(tmp_path, "mine", "mnist", "fastcnn") == first  # still empty: usable
    (first / "best.pt").write_bytes(b"weights")
    with pytest.raises(NnzeroError, match="already holds a run"):
        new_run_dir(tmp_path, "mine", "mnist", "fastcnn")
    assert (first / "best.pt").read_bytes() == b"weights"
