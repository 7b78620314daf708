"""onnxruntime-web's JavaScript and WebAssembly, pinned and checked: from the npm registry or a local copy.

    files = ort_files()                          # {"ort.wasm.min.js": Path, ...}, cached under ~/.cache/nnzero
    files = ort_files(ort_dir="node_modules/onnxruntime-web")

The web export runs the model with onnxruntime-web (Microsoft, MIT licence). One version is pinned:
its npm tarball must have the registry's published sha512 ``integrity`` and each file taken from it
its sha256, so a mirror (npmmirror.com in China, a company's proxy) can serve it but never change it.
The tarball is fetched once per machine and the three files kept in the cache; a download goes through
a temporary file (datasets/download.py's streaming, as MNIST's mirrors), and a failure lists every
registry and why it failed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
from pathlib import Path

from nnzero.atomic import write_bytes
from nnzero.datasets.download import DEFAULT_TIMEOUT, download_to, failure_reason
from nnzero.errors import NnzeroError
from nnzero.i18n import tr

PACKAGE, VERSION = "onnxruntime-web", "1.31.1"
## `npm view onnxruntime-web@1.31.1 dist.integrity`
INTEGRITY = "sha512-5GeH+bWQ+HxM10z7erGlsWqryrwMbSvm/1tkIsKTT48g0fI19VXVVC435t4t7VsPdSQeS7NmuZPXrQ73k82URw=="
## the files the page needs (package/dist/NAME in the tarball) and their sha256
FILES = {
    "ort.wasm.min.js": "b8a78c408c40da65fdc8ba0846f7b2948e92a4c6d6b23cc8e4165e428ad95443",  # the API, 54 kB
    "ort-wasm-simd-threaded.mjs": "30ed0b5cd1182ede931fea448afb567d4dc705ec957af09f108a2be5f770dac3",  # glue
    "ort-wasm-simd-threaded.wasm": "4b884c203b0fa48d057be3332c65513ff85aa3c5bddd6946acc0fab7ecda001d",  # 15 MB
}
REGISTRIES = ("https://registry.npmjs.org", "https://registry.npmmirror.com")
ENV_REGISTRY = "NNZERO_NPM_REGISTRY"


def cache_folder(cache_dir: str | Path | None = None, version: str = VERSION) -> Path:
    """``NNZERO_CACHE_DIR`` or ``~/.cache/nnzero`` (``$XDG_CACHE_HOME/nnzero``), then onnxruntime-web-VERSION."""
    root = cache_dir or os.environ.get("NNZERO_CACHE_DIR")
    if not root:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnzero"
    return Path(root) / f"{PACKAGE}-{version}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_integrity(data: bytes) -> str:
    """The registry's form: "sha512-" + base64 of the SHA-512 digest."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _complete(folder: Path, files: dict[str, str]) -> bool:
    return all((folder / n).is_file() and sha256((folder / n).read_bytes()) == h for n, h in files.items())


def _unpack(tarball: bytes, files: dict[str, str], origin: str) -> dict[str, bytes]:
    """The wanted files from an npm tarball (package/dist/NAME), each checked against its sha256."""
    found = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for name, digest in files.items():
            member = tar.extractfile(f"package/dist/{name}")  # a regular file's bytes: never written by tar
            data = member.read() if member else b""
            if sha256(data) != digest:
                raise NnzeroError(
                    tr("{o}: {n} is not the pinned file", "{o}: {n} 不是指定的文件", o=origin, n=name)
                )
            found[name] = data
    return found


def _download(url: str, folder: Path, integrity: str, timeout: float, quiet: bool) -> bytes:
    """The tarball at ``url`` with the published ``integrity``, or an OSError/NnzeroError saying why not."""
    part = folder / f".{Path(url).name}.{os.getpid()}.part"
    try:
        download_to(url, part, timeout, quiet)
        data = part.read_bytes()
    finally:
        part.unlink(missing_ok=True)
    if npm_integrity(data) != integrity:
        raise NnzeroError(tr("its sha512 is not the published one", "其 sha512 与公布的不同"))
    return data


def _from_registries(registries, folder, version, integrity, files, timeout, quiet) -> None:
    failures = []
    for registry in registries:
        url = f"{registry.rstrip('/')}/{PACKAGE}/-/{PACKAGE}-{version}.tgz"
        try:
            data = _download(url, folder, integrity, timeout, quiet)
            for name, content in _unpack(data, files, url).items():
                write_bytes(folder / name, content)
            return
        except NnzeroError as e:
            failures.append((url, str(e)))
        except (OSError, ValueError, tarfile.TarError) as e:  # URLError, timeouts, bad URLs, a broken gzip
            failures.append((url, failure_reason(e)))
    lines = "\n".join(f"  {url}: {why}" for url, why in failures)
    raise NnzeroError(
        tr(
            "could not download {p} {v}; every registry failed:\n{lines}\nfix: check the network, pass "
            "--npm-registry URL (or {env}=URL), or give a local copy with --ort-dir (npm pack {p}@{v})",
            "无法下载 {p} {v}; 所有仓库都失败了:\n{lines}\n解决办法: 检查网络, 用 --npm-registry URL (或 "
            "{env}=URL) 指定仓库, 或用 --ort-dir 指定本地副本 (npm pack {p}@{v})",
            p=PACKAGE, v=version, lines=lines, env=ENV_REGISTRY,
        )
    )  # fmt: skip


def _from_local(
    path: Path, version: str, integrity: str, files: dict[str, str], cache_dir=None
) -> dict[str, Path]:
    """A copy the user has: an npm tarball, a package folder, its dist/, or a node_modules folder."""
    if path.is_file():
        data = path.read_bytes()
        if npm_integrity(data) != integrity:
            raise NnzeroError(tr("{p}: not {pkg} {v} (its sha512 differs)", "{p}: 不是 {pkg} {v} (sha512 不同)",
                                 p=path, pkg=PACKAGE, v=version))  # fmt: skip
        folder = cache_folder(cache_dir, version)
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in _unpack(data, files, str(path)).items():
            write_bytes(folder / name, content)
        return {name: folder / name for name in files}
    for folder in (path, path / "dist", path / "package" / "dist", path / "node_modules" / PACKAGE / "dist"):
        if _complete(folder, files):
            return {name: folder / name for name in files}
    raise NnzeroError(
        tr(
            "{p}: no {pkg} {v} files there (looked for {names} with their pinned checksums in it, its dist/ "
            "and node_modules/{pkg}/dist); get them with: npm pack {pkg}@{v}",
            "{p}: 其中没有 {pkg} {v} 的文件 (在该目录、dist/ 和 node_modules/{pkg}/dist 中查找了校验和正确的 "
            "{names}); 可用 npm pack {pkg}@{v} 获取",
            p=path, pkg=PACKAGE, v=version, names=", ".join(files),
        )
    )  # fmt: skip


def ort_files(
    ort_dir: str | Path | None = None,
    registries: list[str] | None = None,
    cache_dir: str | Path | None = None,
    *,
    version: str = VERSION,
    integrity: str = INTEGRITY,
    files: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    quiet: bool = False,
) -> dict[str, Path]:
    """{file name: path} of onnxruntime-web's files, checked: from ``ort_dir``, the cache, or a registry."""
    files = files or FILES
    if ort_dir is not None:
        return _from_local(Path(ort_dir), version, integrity, files, cache_dir)
    folder = cache_folder(cache_dir, version)
    if not _complete(folder, files):
        folder.mkdir(parents=True, exist_ok=True)
        env = [r.strip() for r in os.environ.get(ENV_REGISTRY, "").split(",") if r.strip()]
        _from_registries(registries or env or REGISTRIES, folder, version, integrity, files, timeout, quiet)
    return {name: folder / name for name in files}
