"""Run folders: ``runs/<name>/`` holds everything one training run wrote.

Torch-free, so the NumPy engine's runs use the same folders and files.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

from nnzero.atomic import write_text
from nnzero.errors import NnzeroError
from nnzero.i18n import tr


def default_run_name(dataset: str, model: str) -> str:
    return f"{dataset}-{model}-{time.strftime('%Y%m%d-%H%M%S')}"


def new_run_dir(root: str | Path, name: str | None, dataset: str, model: str) -> Path:
    """Create and return ``root/name``; an existing run is never overwritten.

    Without ``name`` the folder is named by the dataset, model and second; runs started in the same
    second (a script's parallel runs) each get their own folder (``-2``, ``-3``, ...): the folder is
    created atomically, so two processes can never both take it."""
    if name is None:
        return _new_default_dir(Path(root), default_run_name(dataset, model))
    run_dir = Path(root) / name
    if run_dir.exists() and any(run_dir.iterdir()):
        raise NnzeroError(
            tr(
                "{path} already holds a run; choose another --name, or continue it with --resume {path}",
                "{path} 已有一次训练; 请换一个 --name, 或用 --resume {path} 继续",
                path=run_dir,
            )
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


def _new_default_dir(root: Path, base: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for n in itertools.count(1):
        run_dir = root / (base if n == 1 else f"{base}-{n}")
        try:
            run_dir.mkdir()  # fails if another process made it first: then the next suffix
        except FileExistsError:
            continue
        return run_dir


def write_json(path: Path, obj) -> None:
    """Write atomically (temp file, fsync, rename), so a crash never leaves half a JSON file."""
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise NnzeroError(tr("{path} not found", "找不到 {path}", path=path)) from e
    except json.JSONDecodeError as e:
        raise NnzeroError(f"{path}: not valid JSON ({e})") from e
