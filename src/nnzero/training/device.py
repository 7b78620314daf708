"""Pick where to compute: CUDA when present, then Apple's MPS, else the CPU."""

from __future__ import annotations

import os

import torch

from nnzero.errors import NnzeroError


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise NnzeroError(f"--device {name}: no CUDA GPU is visible to PyTorch (use --device cpu or auto)")
    return device


def use_all_cores() -> None:
    """Use every core for one process (PyTorch sometimes starts with fewer threads than cores)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if torch.get_num_threads() < cores:
        torch.set_num_threads(cores)
