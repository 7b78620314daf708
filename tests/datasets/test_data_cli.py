"""`nnzero data fetch|export|info`, each with --dry-run, and for real on small, real data."""

from __future__ import annotations

import json

import pytest

from nnzero.cli import main
from nnzero.datasets.mnist import KNOWN


def _cli(*args) -> int:
    return main([str(a) for a in args])


def _json(capsys) -> dict:
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


def test_help_has_examples_in_both_languages(capsys):
    for action in ("fetch", "export", "info"):
        with pytest.raises(SystemExit):
            _cli("data", action, "--help")
        assert f"nnzero data {action}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        _cli("--lang", "zh", "data", "export", "--help")
    assert "示例" in capsys.readouterr().out


def test_fetch_dry_run_touches_nothing(mirror, tmp_path, capsys):
    fetch = ["data", "fetch", "mnist", "--to", tmp_path / "m"]
    assert _cli(*fetch, "--mirror", mirror.url("good"), "--dry-run", "--json") == 0
    result = _json(capsys)
    assert result["dry_run"] and result["mirrors"] == [mirror.url("good")]
    assert [f["status"] for f in result["files"]] == ["would download"] * 4
    assert mirror.requests == [] and not (tmp_path / "m").exists()


def test_fetch_through_a_failing_mirror(mirror, tmp_path, capsys):
    fetch = ["data", "fetch", "mnist", "--to", tmp_path / "m"]
    assert _cli(*fetch, "--mirror", mirror.url("e404"), "--mirror", mirror.url("good"), "--json") == 0
    result = _json(capsys)
    assert [f["status"] for f in result["files"]] == ["downloaded"] * 4
    assert all(f["failed_mirrors"][0][1] == "HTTP 404 Not Found" for f in result["files"])
    assert _cli(*fetch, "--mirror", mirror.url("e404")) == 0  # all present: no request needed
    assert "60,000 training and 10,000 test images" in capsys.readouterr().out


def test_fetch_failure_is_a_clean_error(mirror, tmp_path, capsys):
    assert _cli("data", "fetch", "mnist", "--to", str(tmp_path), "--mirror", mirror.url("e404")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: could not download train-images-idx3-ubyte.gz") and "Traceback" not in err


def test_export_dry_run_writes_nothing(tmp_path, capsys):
    assert _cli("data", "export", "mnist", "--to", str(tmp_path / "png"), "--dry-run", "--json") == 0
    result = _json(capsys)
    assert result["counts"] == {"train": 60000, "test": 10000}
    assert result["trial_written"] == 40 and result["trial_read_back_equal"]
    assert not (tmp_path / "png").exists()


def test_export_then_info(mnist_dir, tmp_path, capsys):
    target = tmp_path / "png"
    export = ["data", "export", "mnist", "--data-dir", mnist_dir, "--to", target, "--limit", 50]
    assert _cli(*export, "--json") == 0
    assert _json(capsys)["written"] == 100
    assert _cli(*export) == 0
    assert "nothing written" in capsys.readouterr().out

    assert _cli("data", "info", str(target), "--dry-run", "--json") == 0
    dry = _json(capsys)
    assert dry["layout"] == "splits" and dry["splits"]["train"]["count"] == 50 and "image_size" not in dry
    assert _cli("data", "info", str(target), "--json") == 0
    info = _json(capsys)
    assert (info["image_size"], info["channels"], info["common_sizes"]) == (28, 1, [[28, 28, 100]])
    assert info["cached"] == {"train": False, "test": False}
    assert _cli("--lang", "zh", "data", "info", str(target)) == 0
    assert "图片文件夹" in capsys.readouterr().out


def test_info_on_idx_data(mnist_dir, capsys):
    assert _cli("data", "info", "mnist", "--dry-run", "--json") == 0
    assert all(_json(capsys)["files"].values())
    assert _cli("data", "info", str(mnist_dir), "--json") == 0
    info = _json(capsys)
    assert info["dataset"] == "mnist" and info["splits"]["test"]["count"] == 10000
    assert info["classes"] == list(KNOWN["mnist"].classes)
