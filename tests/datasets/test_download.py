"""The downloader against a local HTTP server serving the real MNIST files, with mirrors that fail."""

from __future__ import annotations

import pytest

from nnzero.datasets.download import fetch_dataset, fetch_file, file_md5
from nnzero.datasets.mnist import KNOWN
from nnzero.errors import DataError

MD5 = KNOWN["mnist"].files
LABELS = "t10k-labels-idx1-ubyte.gz"


def _no_leftovers(folder):
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".part")]


@pytest.mark.slow  # waits out a timeout per file (about 2 s)
def test_falls_through_every_kind_of_failure(mirror, tmp_path, refused_url):
    bad = [mirror.url("e404"), mirror.url("e403"), refused_url, mirror.url("slow"), mirror.url("corrupt")]
    fetched = fetch_dataset("mnist", tmp_path, bad + [mirror.url("good")], timeout=0.5, quiet=True)
    assert [f.name for f in fetched] == list(MD5)
    for f in fetched:
        assert file_md5(tmp_path / f.name) == MD5[f.name]
        assert f.url == mirror.url("good") + f.name
        reasons = [why for _, why in f.failures]
        assert reasons[:4] == ["HTTP 404 Not Found", "HTTP 403 Forbidden", "connection refused", "timed out"]
        assert reasons[4].startswith("md5 ") and MD5[f.name] in reasons[4]
    _no_leftovers(tmp_path)


def test_stall_in_the_middle_of_the_body(mirror, tmp_path):
    got = fetch_file(
        LABELS, MD5[LABELS], [mirror.url("stall"), mirror.url("good")], tmp_path, timeout=0.5, quiet=True
    )
    assert got.failures == [(mirror.url("stall") + LABELS, "timed out")]
    assert file_md5(tmp_path / LABELS) == MD5[LABELS]
    _no_leftovers(tmp_path)


def test_all_mirrors_fail_lists_each_and_writes_nothing(mirror, tmp_path, refused_url):
    refused = refused_url
    mirrors = [mirror.url("e404"), refused, mirror.url("corrupt")]
    with pytest.raises(DataError) as err:
        fetch_file(LABELS, MD5[LABELS], mirrors, tmp_path, timeout=0.5, quiet=True)
    message = str(err.value)
    assert f"could not download {LABELS}" in message
    assert f"{mirror.url('e404')}{LABELS}: HTTP 404" in message
    assert f"{refused}{LABELS}: connection refused" in message
    assert f"{mirror.url('corrupt')}{LABELS}: md5 " in message
    assert "--mirror URL" in message
    assert list(tmp_path.iterdir()) == []


def test_present_file_is_not_downloaded_again_and_a_bad_one_is_replaced(mirror, tmp_path, mnist_dir):
    (tmp_path / LABELS).write_bytes((mnist_dir / LABELS).read_bytes())
    got = fetch_file(LABELS, MD5[LABELS], [mirror.url("good")], tmp_path, quiet=True)
    assert got.url is None and mirror.requests == []
    (tmp_path / LABELS).write_bytes(b"damaged")
    got = fetch_file(LABELS, MD5[LABELS], [mirror.url("good")], tmp_path, quiet=True)
    assert got.url is not None and len(mirror.requests) == 1
    assert file_md5(tmp_path / LABELS) == MD5[LABELS]


def test_mirrors_from_the_environment(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("NNZERO_MNIST_MIRRORS", f"{mirror.url('e404')}, {mirror.url('good')}")
    fetched = fetch_dataset("mnist", tmp_path, quiet=True)
    assert all(f.url.startswith(mirror.url("good")) for f in fetched)
    assert sorted(mirror.requests) == sorted([f"/e404/{n}" for n in MD5] + [f"/good/{n}" for n in MD5])


def test_progress_goes_to_stderr(mirror, tmp_path, capsys):
    fetch_file(LABELS, MD5[LABELS], [mirror.url("e404"), mirror.url("good")], tmp_path)
    out, err = capsys.readouterr()
    assert out == ""
    assert "HTTP 404" in err and f"{mirror.url('good')}{LABELS}: 4.5 kB / 4.5 kB (" in err
