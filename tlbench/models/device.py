"""Where and in which precision a model runs."""
from __future__ import annotations

import contextlib

import torch

from ..errors import TlbenchError


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise TlbenchError(f"extract.device is {device!r} but no CUDA device is visible: set extract.device: auto")
    return torch.device(device)


def resolve_precision(precision: str, device: torch.device) -> str:
    """`auto`: fp32 on CPU (fidelity), bf16 autocast on CUDA."""
    if precision == "auto":
        return "bf16" if device.type == "cuda" else "fp32"
    if precision not in ("fp32", "bf16", "fp16"):
        raise TlbenchError(f"extract.precision {precision!r} is unknown: use auto, fp32, bf16 or fp16")
    if precision == "fp16" and device.type == "cpu":
        raise TlbenchError("extract.precision fp16 is for CUDA: use bf16 or fp32 on the CPU")
    return precision


def autocast(device: torch.device, precision: str):
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device.type, dtype=dtype)
