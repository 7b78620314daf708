"""Download files from a list of mirrors, checking each file's md5.

Each file is tried on every mirror in order until one gives bytes with the published
md5. A mirror that answers 403/404, times out, refuses the connection or serves a
damaged file is noted and the next one is tried; when all fail, the error lists every
mirror and why it failed. Bytes go to a temporary file in the target folder that is
renamed only once its md5 is right, so an interrupted download never leaves a
half-written file under the real name. Only the standard library (urllib) is used.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from nnzero.datasets.mnist import known_dataset
from nnzero.errors import DataError
from nnzero.i18n import tr

DEFAULT_TIMEOUT = 30.0  # seconds without a byte before a mirror counts as timed out
_CHUNK = 1 << 16


@dataclass
class Fetched:
    """What happened to one file: where it lies, which URL gave it, what failed first."""

    name: str
    path: Path
    md5: str
    url: str | None  # None: it was already there with the right md5
    failures: list[tuple[str, str]]  # (url, reason) of the mirrors that failed before


def mirrors_env_var(dataset: str) -> str:
    """NNZERO_MNIST_MIRRORS for mnist, NNZERO_FASHION_MNIST_MIRRORS for fashion-mnist."""
    return "NNZERO_" + dataset.upper().replace("-", "_") + "_MIRRORS"


def env_mirrors(dataset: str) -> list[str] | None:
    """Mirrors from the data set's environment variable (comma-separated URLs), if set."""
    value = os.environ.get(mirrors_env_var(dataset), "").strip()
    return [m.strip() for m in value.split(",") if m.strip()] or None


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _reason(exc: BaseException) -> str:
    """A short reason a person can act on, for one failed mirror."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return tr("timed out", "超时")
    if isinstance(exc, ConnectionRefusedError):
        return tr("connection refused", "连接被拒绝")
    return f"{type(exc).__name__}: {exc}"


def _progress(name: str, done: int, total: int | None, start: float, final: bool = False) -> None:
    """One line on stderr, redrawn in place on a terminal and printed once at the end otherwise."""
    if not (final or sys.stderr.isatty()):
        return
    speed = done / max(time.perf_counter() - start, 1e-6)
    size = f"{_size(done)} / {_size(total)}" if total else _size(done)
    print(f"\r  {name}: {size} ({_size(speed)}/s)", end="\n" if final else "", file=sys.stderr, flush=True)


def _size(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def _download(url: str, dest: Path, timeout: float, quiet: bool) -> str:
    """Stream ``url`` into ``dest`` and return the md5 of the bytes received."""
    digest = hashlib.md5(usedforsecurity=False)
    request = urllib.request.Request(url, headers={"User-Agent": "nnzero (python urllib)"})
    start = last = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response, open(dest, "wb") as out:
        total = response.headers.get("Content-Length")
        total = int(total) if total and total.isdigit() else None
        done = 0
        while block := response.read(_CHUNK):
            out.write(block)
            digest.update(block)
            done += len(block)
            if not quiet and time.perf_counter() - last > 0.2:
                last = time.perf_counter()
                _progress(dest.name, done, total, start)
        if total is not None and done != total:
            raise http.client.IncompleteRead(b"", total - done)
    if not quiet:
        _progress(url, done, total, start, final=True)
    return digest.hexdigest()


def download_to(url: str, dest: Path, timeout: float = DEFAULT_TIMEOUT, quiet: bool = False) -> str:
    """Stream ``url`` into ``dest`` (progress on stderr unless ``quiet``); the md5 of the bytes received.
    Raises what urllib raises; ``failure_reason`` turns that into a short reason for the user."""
    return _download(url, dest, timeout, quiet)


def failure_reason(exc: BaseException) -> str:
    return _reason(exc)


def fetch_file(
    name: str,
    md5: str,
    mirrors: list[str],
    folder: str | Path,
    timeout: float = DEFAULT_TIMEOUT,
    quiet: bool = False,
    env_var: str = "NNZERO_MNIST_MIRRORS",
) -> Fetched:
    """Make sure ``folder/name`` exists with ``md5``, downloading it from the first mirror that works."""
    folder = Path(folder)
    target = folder / name
    if target.exists() and file_md5(target) == md5:
        return Fetched(name, target, md5, None, [])
    folder.mkdir(parents=True, exist_ok=True)
    failures: list[tuple[str, str]] = []
    for base in mirrors:
        url = (base if base.endswith("/") else base + "/") + name
        why = _try_mirror(url, target, md5, timeout, quiet)
        if why is None:
            return Fetched(name, target, md5, url, failures)
        failures.append((url, why))
        if not quiet and base != mirrors[-1]:
            print(
                tr(
                    "  {url} failed ({why}); trying the next mirror",
                    "  {url} 失败 ({why}); 尝试下一个镜像",
                    url=url,
                    why=why,
                ),
                file=sys.stderr,
                flush=True,
            )
    raise _every_mirror_failed(name, failures, folder, env_var)


def _try_mirror(url: str, target: Path, md5: str, timeout: float, quiet: bool) -> str | None:
    """Download ``url`` through a temporary file beside ``target``; None when it arrived with ``md5``,
    else why not. Nothing but the checked file is ever left at ``target``."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        got = _download(url, tmp, timeout, quiet)
        if got == md5:
            os.replace(tmp, target)
            return None
        return tr("md5 {got} is not the published {want}", "md5 {got} 不是公布的 {want}", got=got, want=md5)
    except (OSError, http.client.HTTPException, ValueError) as e:  # URLError, timeouts, bad URLs
        return _reason(e)
    finally:
        tmp.unlink(missing_ok=True)


def _every_mirror_failed(name: str, failures: list, folder: Path, env_var: str) -> DataError:
    lines = "\n".join(f"  {url}: {why}" for url, why in failures) or tr(
        "  (no mirrors given)", "  (没有镜像)"
    )
    return DataError(
        tr(
            "could not download {name}; every mirror failed:\n{lines}\nfix: check the network, or "
            "pass a mirror that works with --mirror URL (or {env}=URL,URL), or copy "
            "the file into {folder} yourself",
            "无法下载 {name}; 所有镜像都失败了:\n{lines}\n解决办法: 检查网络, 或用 --mirror URL "
            "(或 {env}=URL,URL) 指定可用的镜像, 或自行把文件复制到 {folder}",
            name=name,
            lines=lines,
            folder=folder,
            env=env_var,
        )
    )


def fetch_dataset(
    dataset: str,
    folder: str | Path,
    mirrors: list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    quiet: bool = False,
) -> list[Fetched]:
    """All files of a known IDX data set into ``folder``; mirrors: given, else the env var, else KNOWN's."""
    ds = known_dataset(dataset)
    mirrors = list(mirrors or env_mirrors(dataset) or ds.mirrors)
    return [
        fetch_file(name, md5, mirrors, folder, timeout, quiet, mirrors_env_var(dataset))
        for name, md5 in ds.files.items()
    ]


def planned_files(dataset: str, folder: Path) -> list[dict]:
    """What ``fetch_dataset`` would do, file by file, without downloading ("present" or "would download")."""
    files = []
    for name, md5 in known_dataset(dataset).files.items():
        path = Path(folder) / name
        ok = path.exists() and file_md5(path) == md5
        files.append({"name": name, "md5": md5, "status": "present" if ok else "would download"})
    return files
