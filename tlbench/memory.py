"""glibc's allocator set for the stages' large, short-lived arrays.

A forward pass allocates and frees activations of several MB per batch, and the stages' numpy code blocks
of similar size. glibc serves an allocation above its mmap threshold (128 kB at first, raised as blocks
are freed but never above 32 MB) with fresh pages from the kernel, and gives back freed memory at the top
of its heap beyond 128 kB: so every batch faults the same memory in again, zero-filled by the kernel.
anomaly_extract@ped2 (320 demo frames) took 4.45 M page faults, ~18 GB zeroed, and 40 % of its CPU time
was the kernel's (reports/MEASUREMENTS.md, "Issue 23, eighth round"). With the threshold at its ceiling and
freed memory kept for reuse, the same stage took 1.48 M faults and ~25 % less wall time; the stages' outputs
are byte-identical and peak memory grows by 3-9 %. `TLBENCH_MALLOC=system` leaves glibc's defaults (to
compare, or to look for a leak)."""
from __future__ import annotations

import contextlib
import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # <malloc.h>
SETTINGS = {
    M_MMAP_THRESHOLD: 32 << 20,  # glibc's ceiling on 64-bit: blocks up to 32 MB come from the reusable heap
    M_TRIM_THRESHOLD: 1 << 30,  # free memory kept at the heap's top before any is given back
    M_TOP_PAD: 256 << 20,  # grow the heap in large steps (address space: untouched pages cost no memory)
}
OPT_OUT = "TLBENCH_MALLOC"  # "system": glibc's defaults


def keep_freed_memory() -> bool:
    """Apply SETTINGS to this process's glibc allocator (call early: blocks already mapped are not moved).
    False where it does not apply: opted out, not Linux, or a C library without `mallopt` (musl)."""
    if os.environ.get(OPT_OUT) == "system" or not sys.platform.startswith("linux"):
        return False
    with contextlib.suppress(OSError, AttributeError):
        mallopt = ctypes.CDLL("libc.so.6").mallopt
        mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        return all([mallopt(param, value) == 1 for param, value in SETTINGS.items()])
    return False
