"""`nnzero data fetch fsdd` against a local HTTP server serving the real recordings, with failing mirrors.

The published list is cut to 30 recordings for speed (the real one has 2,500, all checked the same way)."""

from __future__ import annotations

import json

import pytest

from nnzero.cli import main
from nnzero.datasets import fsdd
from nnzero.datasets.download import file_md5


@pytest.fixture
def thirty(fsdd_mirror, monkeypatch):
    every = fsdd.published_md5()
    assert len(every) == 2500 and sorted(every) == sorted(p.name for p in fsdd_mirror.folder.glob("*.wav"))
    chosen = dict(sorted(every.items())[::83][:30])
    monkeypatch.setattr(fsdd, "published_md5", lambda: chosen)
    return chosen


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_fetch_checks_every_recording_and_falls_through_bad_mirrors(fsdd_mirror, thirty, tmp_path, capsys):
    mirrors = [
        "--mirror",
        fsdd_mirror.url("e404"),
        "--mirror",
        fsdd_mirror.url("corrupt"),
        "--mirror",
        fsdd_mirror.url("good"),
    ]
    assert main(["data", "fetch", "fsdd", "--to", str(tmp_path / "fsdd"), *mirrors, "--json"]) == 0
    result = _json(capsys)
    assert result["downloaded"] == 30 and result["present"] == 0
    assert result["failed_mirrors"] == [fsdd_mirror.url("corrupt"), fsdd_mirror.url("e404")]
    folder = tmp_path / "fsdd" / "recordings"
    assert sorted(p.name for p in folder.iterdir()) == sorted(thirty)  # no .part file left behind
    assert all(file_md5(folder / name) == md5 for name, md5 in thirty.items())
    fsdd_mirror.requests.clear()
    assert (
        main(["data", "fetch", "fsdd", "--to", str(tmp_path / "fsdd"), "--mirror", fsdd_mirror.url("e404")])
        == 0
    )
    assert fsdd_mirror.requests == []  # every file already there with its md5
    assert "nnzero train fsdd --data-dir" in capsys.readouterr().out
    from nnzero.config import DataConfig
    from nnzero.datasets.sounds import load_sounds

    test = load_sounds(DataConfig(dataset="fsdd", data_dir=str(tmp_path / "fsdd")), "test", quiet=True)
    assert len(test) == sum(int(n.rsplit("_", 1)[1][:-4]) < 5 for n in thirty)


def test_dry_run_and_failure(fsdd_mirror, thirty, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NNZERO_FSDD_MIRRORS", fsdd_mirror.url("good"))
    assert main(["data", "fetch", "fsdd", "--to", str(tmp_path), "--dry-run", "--json"]) == 0
    result = _json(capsys)
    assert result["mirrors"] == [fsdd_mirror.url("good")] and result["would_download"] == 30
    assert fsdd_mirror.requests == [] and not (tmp_path / "recordings").exists()
    assert main(["data", "fetch", "fsdd", "--to", str(tmp_path), "--mirror", fsdd_mirror.url("e403")]) == 2
    err = capsys.readouterr().err
    assert "could not download" in err and "HTTP 403" in err and "NNZERO_FSDD_MIRRORS" in err
