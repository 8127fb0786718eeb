"""Where and in which precision a model runs."""
from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

import torch

from ..errors import TlbenchError


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise TlbenchError(f"extract.device is {device!r} but no CUDA device is visible: set extract.device: auto")
    return torch.device(device)


def cpu_has_native_bf16() -> bool:
    """AMX or AVX-512 BF16 (Linux /proc/cpuinfo); without them bf16 autocast is emulated and slow
    (ResNet50 ran at 1.8 images/s in bf16 vs 9.9 in fp32 on a 2-core AVX2 machine)."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def resolve_precision(precision: str, device: torch.device, param: str = "extract.precision") -> str:
    """fp32 unless bf16/fp16 are asked for; `auto` opts in to bf16 autocast on CUDA only (never on a CPU)."""
    if precision == "auto":
        return "bf16" if device.type == "cuda" else "fp32"
    if precision not in ("fp32", "bf16", "fp16"):
        raise TlbenchError(f"{param} {precision!r} is unknown: use fp32, bf16, fp16 or auto")
    if precision == "fp16" and device.type == "cpu":
        raise TlbenchError(f"{param} fp16 is for CUDA: use bf16 or fp32 on the CPU")
    if precision == "bf16" and device.type == "cpu" and not cpu_has_native_bf16():
        warnings.warn(f"{param} is bf16 but this CPU has no native bf16 (AMX or AVX-512 BF16): autocast will be "
                      f"several times slower than fp32; set {param}: fp32", stacklevel=2)
    return precision


def configure_precision(device: torch.device, precision: str) -> None:
    """fp32 means fp32: no TF32 in CUDA matmuls and convolutions (PyTorch enables it for cuDNN by default)."""
    if precision == "fp32":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.set_float32_matmul_precision("highest")


def deterministic_training(threads: int) -> None:
    """Training that gives the same weights on every run on one machine: deterministic kernels only
    (cuDNN's autotuner off, cuBLAS with a fixed workspace) and a fixed CPU thread count, because how a
    reduction is split over threads changes its rounding. `threads` 0 keeps torch's default."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    if threads > 0:
        torch.set_num_threads(threads)


def autocast(device: torch.device, precision: str):
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device.type, dtype=dtype)
