"""Shared by the benchmark scripts: run a program, take its last JSON line, print a table, save JSON."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NNZERO_SHARED", REPO.parent / "shared"))
BASELINES = SHARED / "baselines"
RESULTS = REPO / "benchmarks" / "results"


def run_json(cmd: list[str], env: dict | None = None, timeout: int = 3600) -> dict:
    """Run a program; its last stdout line that parses as JSON, plus the wall time seen from outside."""
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=timeout, cwd=REPO
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    for line in reversed(proc.stdout.strip().splitlines()):
        try:
            return {**json.loads(line), "wall_seconds": round(wall, 2)}
        except json.JSONDecodeError:
            continue
    raise RuntimeError(f"{' '.join(cmd)} printed no JSON line:\n{proc.stdout[-2000:]}")


def nnzero(*args: str) -> list[str]:
    return [sys.executable, "-m", "nnzero", *args]


def machine() -> dict:
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpus": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "processor": cpu_model() or platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def cpu_model() -> str | None:
    """The CPU's name (Linux): machines change between sessions, and the figures with them."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def print_table(rows: list[dict], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns}
    print(" | ".join(c.ljust(widths[c]) for c in columns))
    print("-|-".join("-" * widths[c] for c in columns))
    for r in rows:
        print(" | ".join(_fmt(r.get(c)).ljust(widths[c]) for c in columns))


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4f}" if v < 1 else f"{v:.2f}"
    return str(v)


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
