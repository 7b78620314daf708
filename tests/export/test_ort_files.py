"""onnxruntime-web's files: downloaded from npm registries (a local HTTP server here, as MNIST's mirrors are
tested), checked against pinned checksums, cached, or taken from a local copy; every failure says why.

The tarball served is a real npm-layout .tgz made in the test with small stand-in files, and the pins are
passed in as the code's own (FILES, INTEGRITY) are: what is tested is the fetching and checking code.
"""

from __future__ import annotations

import importlib.util
import io
import tarfile
from pathlib import Path

import pytest

from nnzero.errors import NnzeroError
from nnzero.export.ort_files import INTEGRITY, PACKAGE, npm_integrity, ort_files, sha256

REPO = Path(__file__).resolve().parents[2]
VERSION = "0.0.1"
CONTENT = {"ort.wasm.min.js": b"var ort = {};\n", "ort-wasm-simd-threaded.mjs": b"export default 1;\n",
           "ort-wasm-simd-threaded.wasm": b"\x00asm\x01\x00\x00\x00"}  # fmt: skip
PINS = {name: sha256(data) for name, data in CONTENT.items()}


def _mirror_class():
    """tests/datasets' MirrorServer (good/, e404/, corrupt/, ... prefixes over one folder), reused as is."""
    spec = importlib.util.spec_from_file_location(
        "_datasets_conftest", REPO / "tests" / "datasets" / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MirrorServer


def _tarball(content: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in {"package.json": b"{}", **{f"dist/{k}": v for k, v in content.items()}}.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def registry(tmp_path):
    """A registry folder holding the package's tarball at npm's path, served on 127.0.0.1."""
    tarball = _tarball(CONTENT)
    path = tmp_path / "registry" / PACKAGE / "-" / f"{PACKAGE}-{VERSION}.tgz"
    path.parent.mkdir(parents=True)
    path.write_bytes(tarball)
    server = _mirror_class()(tmp_path / "registry")
    server.integrity = npm_integrity(tarball)
    yield server
    server.close()


def _fetch(registry, cache, registries, **kwargs):
    return ort_files(registries=registries, cache_dir=cache, version=VERSION, integrity=registry.integrity,
                     files=PINS, timeout=0.5, quiet=True, **kwargs)  # fmt: skip


def test_downloads_checks_and_caches(registry, tmp_path):
    cache = tmp_path / "cache"
    files = _fetch(registry, cache, [registry.url("good")])
    assert {n: p.read_bytes() for n, p in files.items()} == CONTENT
    assert all(p.parent == cache / f"{PACKAGE}-{VERSION}" for p in files.values())
    assert registry.requests == [f"/good/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"]
    _fetch(registry, cache, [registry.url("good")])
    assert len(registry.requests) == 1  # the cache answered the second time
    assert not [p for p in (cache / f"{PACKAGE}-{VERSION}").iterdir() if p.suffix == ".part"]


def test_a_failing_or_tampered_registry_is_skipped(registry, tmp_path, monkeypatch):
    monkeypatch.setenv(
        "NNZERO_NPM_REGISTRY", f"{registry.url('e404')},{registry.url('corrupt')},{registry.url('good')}"
    )
    files = ort_files(
        cache_dir=tmp_path / "cache", version=VERSION, integrity=registry.integrity, files=PINS, quiet=True
    )
    assert files["ort.wasm.min.js"].read_bytes() == CONTENT["ort.wasm.min.js"]
    assert [r.split("/")[1] for r in registry.requests] == ["e404", "corrupt", "good"]


def test_every_registry_failing_is_one_clear_error_and_nothing_is_kept(registry, tmp_path):
    with pytest.raises(NnzeroError) as err:
        _fetch(registry, tmp_path / "cache", [registry.url("e404"), registry.url("corrupt")])
    message = str(err.value)
    assert f"could not download {PACKAGE} {VERSION}" in message
    assert "e404/" in message and "HTTP 404" in message
    assert "corrupt/" in message and "sha512 is not the published one" in message
    assert "--ort-dir" in message and "--npm-registry" in message
    assert not any((tmp_path / "cache" / f"{PACKAGE}-{VERSION}").iterdir())


def test_a_tarball_whose_files_are_not_the_pinned_ones_is_refused(registry, tmp_path):
    other = dict(PINS, **{"ort.wasm.min.js": sha256(b"something else")})
    with pytest.raises(NnzeroError, match="ort.wasm.min.js is not the pinned file"):
        ort_files(registries=[registry.url("good")], cache_dir=tmp_path / "c", version=VERSION,
                  integrity=registry.integrity, files=other, quiet=True)  # fmt: skip


def test_a_local_copy_as_folder_package_or_tarball(tmp_path):
    package = tmp_path / "node_modules" / PACKAGE / "dist"
    package.mkdir(parents=True)
    for name, data in CONTENT.items():
        (package / name).write_bytes(data)
    for where in (tmp_path, tmp_path / "node_modules" / PACKAGE, package):
        files = ort_files(ort_dir=where, version=VERSION, files=PINS)
        assert files["ort-wasm-simd-threaded.wasm"] == package / "ort-wasm-simd-threaded.wasm"
    tgz = tmp_path / "ort.tgz"
    tgz.write_bytes(_tarball(CONTENT))
    files = ort_files(
        ort_dir=tgz,
        cache_dir=tmp_path / "cache",
        version=VERSION,
        integrity=npm_integrity(tgz.read_bytes()),
        files=PINS,
    )
    assert files["ort.wasm.min.js"].read_bytes() == CONTENT["ort.wasm.min.js"]
    (package / "ort.wasm.min.js").write_bytes(b"tampered")
    with pytest.raises(NnzeroError, match="npm pack onnxruntime-web@0.0.1"):
        ort_files(ort_dir=tmp_path, version=VERSION, files=PINS)
    with pytest.raises(NnzeroError, match="its sha512 differs"):
        ort_files(ort_dir=tgz, version=VERSION, integrity=INTEGRITY, files=PINS)
