"""Pick where to compute (CUDA when present, then Apple's MPS, else the CPU) and in what precision."""

from __future__ import annotations

import contextlib
import os

import torch

from nnzero.errors import NnzeroError
from nnzero.i18n import tr


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


def resolve_precision(precision: str, device: torch.device, say=None) -> str:
    """``auto`` -> ``bf16`` where ``device`` has bfloat16 hardware, else ``fp32``; ``bf16`` on a device
    without it still runs (converted in software, slower), and ``say`` gets a note saying so.

    ## bfloat16 keeps float32's range with 8 bits of mantissa: where the chip multiplies it natively
    ## (AVX-512 BF16, AMX, Ampere+ GPUs) convolutions run ~2x faster; elsewhere every operand is
    ## converted in software first, which costs more than it saves (10x slower, measured on an
    ## AVX2-only AMD EPYC).
    """
    if precision == "fp32":
        return "fp32"
    fast = has_fast_bf16(device)
    if precision == "auto":
        return "bf16" if fast else "fp32"
    if precision == "bf16" and not fast and say is not None:
        say(
            tr(
                "note: {d} has no bfloat16 hardware, so --precision bf16 will be slower than fp32",
                "注意: {d} 没有 bfloat16 硬件支持, --precision bf16 会比 fp32 更慢",
                d=device,
            )
        )
    return precision


def autocast(precision: str, device: torch.device | str = "cpu"):
    """The context a forward pass runs in: bfloat16 autocast for ``bf16``, nothing at all for ``fp32``
    (so float32 runs stay exactly what they were)."""
    kind = device.type if isinstance(device, torch.device) else str(device).split(":")[0]
    return torch.autocast(kind, dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext()
