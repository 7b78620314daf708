"""The Free Spoken Digit Dataset (FSDD): 2,500 recordings of the digits 0-9, "the MNIST of sound".

    load_fsdd(DataConfig(dataset="fsdd", data_dir="data/fsdd"), "train")   # ImageSet of log-mel pictures
    fetch_fsdd("data/fsdd")                                                # download it, md5-checked

Five speakers (george, jackson, lucas, nicolas, yweweler) each said each digit 50 times, 8 kHz mono WAV,
named ``{digit}_{speaker}_{take}.wav`` (CC BY-SA 4.0, github.com/Jakobovski/free-spoken-digit-dataset).
``data_dir`` is the folder FSDD's download lays out (holding ``recordings/``) or ``recordings/`` itself.
The download takes each recording from a pinned commit of FSDD's repository (a second mirror: jsDelivr's
copy of the same commit), checks it against the md5 sums shipped with nnzero, through a temporary file.
"""

from __future__ import annotations

import gzip
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from nnzero.datasets.audio import is_audio_file
from nnzero.datasets.cache import fingerprint
from nnzero.datasets.sound_split import parse_name
from nnzero.errors import DataError
from nnzero.i18n import tr

CLASSES = [str(d) for d in range(10)]
REVISION = "26eb9aaf76e81b692f806f9140c2d2777410d7a1"  # FSDD's repository on 2024-05-02
REPOSITORY = "Jakobovski/free-spoken-digit-dataset"
MIRRORS = (
    f"https://raw.githubusercontent.com/{REPOSITORY}/{REVISION}/recordings/",
    f"https://cdn.jsdelivr.net/gh/{REPOSITORY}@{REVISION}/recordings/",
)
MIRRORS_ENV = "NNZERO_FSDD_MIRRORS"
_MD5 = Path(__file__).resolve().parent / "_fsdd" / "recordings.md5.gz"


def recordings_dir(data_dir) -> Path:
    """The folder of FSDD's WAV files: ``data_dir/recordings`` or ``data_dir`` itself."""
    if data_dir is None:
        raise DataError(
            tr(
                "FSDD needs --data-dir DIR (get it with: nnzero data fetch fsdd --to DIR)",
                "FSDD 需要 --data-dir DIR (下载: nnzero data fetch fsdd --to DIR)",
            )
        )
    root = Path(data_dir).expanduser()
    for folder in (root / "recordings", root):
        if folder.is_dir() and any(parse_name(p.name) for p in folder.iterdir() if is_audio_file(p.name)):
            return folder
    raise DataError(
        tr(
            "{root} holds no FSDD recordings ({{digit}}_{{speaker}}_{{take}}.wav, in it or in its recordings/); "
            "get them with: nnzero data fetch fsdd --to {root}",
            "{root} 中没有 FSDD 录音 ({{数字}}_{{说话人}}_{{编号}}.wav, 在其中或其 recordings/ 中); "
            "下载: nnzero data fetch fsdd --to {root}",
            root=root,
        )
    )


def list_recordings(data_dir) -> tuple[Path, list[tuple[str, int, int]], np.ndarray]:
    """(folder, fingerprints of the FSDD-named recordings in name order, their digits)."""
    folder = recordings_dir(data_dir)
    names = sorted(p.name for p in folder.iterdir() if is_audio_file(p.name) and parse_name(p.name))
    parsed = [parse_name(n) for n in names]
    keep = [n for n, p in zip(names, parsed) if p["label"] in CLASSES]
    digits = np.array([int(parse_name(n)["label"]) for n in keep], np.int64)
    return folder, fingerprint(folder, keep), digits


def published_md5() -> dict[str, str]:
    """{file name: md5} of the 2,500 recordings of the five speakers, as FSDD's repository holds them."""
    with gzip.open(_MD5, "rt", encoding="ascii") as f:
        return dict(reversed(line.split()) for line in f if line.strip())


def fetch_fsdd(
    folder, mirrors: list[str] | None = None, timeout: float = 30.0, quiet: bool = False, workers: int = 8
) -> list:
    """Every recording into ``folder/recordings/``, each md5-checked (a file already there is kept)."""
    from nnzero.datasets.download import fetch_file

    target = Path(folder) / "recordings"
    sums = published_md5()
    mirrors = list(mirrors or MIRRORS)
    done = []

    def one(item):
        fetched = fetch_file(item[0], item[1], mirrors, target, timeout, quiet=True, env_var=MIRRORS_ENV)
        done.append(fetched)
        if not quiet and (len(done) % 250 == 0 or len(done) == len(sums)):
            print(f"  {len(done):,}/{len(sums):,} {target}", file=sys.stderr, flush=True)
        return fetched

    ## a recording is a few kB: the time goes to round trips, so several are fetched at once
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, sorted(sums.items())))


def planned(folder) -> dict:
    """What fetch_fsdd would do: how many recordings are present with the right md5, how many to download."""
    from nnzero.datasets.download import file_md5

    target = Path(folder) / "recordings"
    sums = published_md5()
    present = sum(1 for n, m in sums.items() if (target / n).exists() and file_md5(target / n) == m)
    return {"present": present, "would_download": len(sums) - present}
