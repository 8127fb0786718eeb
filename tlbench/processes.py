"""Helper processes (DataLoader workers, the demo's process pool) that die with the stage that started
them. A forked worker holds both ends of its pipes, so after a kill -9 of its stage it never sees a
broken pipe: one blocked on a full result queue lived on for hours, holding hundreds of MB."""
from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit now if `parent` already has."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def lowest_priority() -> None:
    with contextlib.suppress(OSError, AttributeError):
        os.nice(19)


def _init_worker(_worker_id: int | None = None, *, parent: int, background: bool) -> None:
    from .memory import keep_freed_memory

    keep_freed_memory()  # a forked worker has its parent's settings already; a spawned one gets them here
    if background:
        lowest_priority()
    die_with_parent(parent)


def worker_init(background: bool = False) -> functools.partial:
    """An initializer for processes started by this one (a DataLoader's `worker_init_fn`, a pool's
    `initializer`): they die with it and, if `background`, run at the lowest CPU priority."""
    return functools.partial(_init_worker, parent=os.getpid(), background=background)
