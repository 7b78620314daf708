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


def has_fast_bf16(device: torch.device) -> bool:
    """Whether this device computes bfloat16 in hardware (CPUs with AVX-512 BF16 or AMX; Ampere+ GPUs).

    Elsewhere autocast still works, by converting in software: slower than float32.
    """
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False
