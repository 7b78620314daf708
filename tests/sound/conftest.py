"""Real recordings for the sound tests: FSDD in ../shared/data/fsdd, read in place (CC BY-SA 4.0; never
copied into the repository). A few are converted to other formats and rates inside each test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("NNZERO_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def fsdd_dir() -> Path:
    path = SHARED_DATA / "fsdd"
    if not (path / "recordings" / "0_george_0.wav").exists():
        pytest.skip(f"FSDD recordings not found in {path} (set NNZERO_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def recording(fsdd_dir):
    """One recording by name: recording("7_jackson_32")."""
    return lambda name: fsdd_dir / "recordings" / f"{name}.wav"


@pytest.fixture(scope="session")
def small_fsdd(fsdd_dir, tmp_path_factory) -> Path:
    """Links to 600 of FSDD's recordings (digits 0-9, 3 speakers, takes 0-19): a quick real data set."""
    out = tmp_path_factory.mktemp("fsdd") / "recordings"
    out.mkdir()
    for digit in range(10):
        for speaker in ("george", "jackson", "nicolas"):
            for take in range(20):
                name = f"{digit}_{speaker}_{take}.wav"
                os.symlink(fsdd_dir / "recordings" / name, out / name)
    return out.parent


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    """Each test's pictures are cached in its own folder (the shared data is read-only)."""
    monkeypatch.setenv("NNZERO_CACHE_DIR", str(tmp_path / "cache"))


def have(program: str) -> bool:
    return shutil.which(program) is not None
