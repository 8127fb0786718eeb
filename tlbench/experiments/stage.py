"""How every DVC stage runs: `python -m tlbench.experiments.<experiment>.<stage> [ARGS]`.

A stage module defines `run(params, *args, progress=True)` and ends with
`if __name__ == "__main__": raise SystemExit(main(run))`. Its wall time goes to
reports/timings/<stage>.json and the table reports/timings/README.md (per run, not tracked in git)."""
from __future__ import annotations

import argparse
import atexit
import contextlib
import inspect
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import NoReturn

from .. import paths
from ..errors import TlbenchError


def stage_name(module: str, args: list[str]) -> str:
    """The DVC stage name: tlbench.experiments.ph2.extract ped1 -> ph2_extract@ped1."""
    name = "_".join(module.split(".")[2:])
    return "@".join([name] + ["-".join(args)] if args else [name])


def positional(run: Callable) -> list[str]:
    sig = inspect.signature(run).parameters
    return [p for p in list(sig)[1:] if sig[p].kind == inspect.Parameter.POSITIONAL_OR_KEYWORD and p != "progress"]


def execute(run: Callable, module: str, params_file: str, args: list[str], progress: bool = True) -> int:
    from ..io import sweep_outputs, write_json
    from ..memory import keep_freed_memory
    from ..params import Params

    keep_freed_memory()  # before the stage's first large array (`python -m` and `tlbench <stage>` alike)
    params = Params.load(params_file)
    for leftover in sweep_outputs(params.root_dir):
        print(f"removed {leftover}, left by a killed stage")
    wanted = positional(run)
    if len(args) != len(wanted):
        raise TlbenchError(f"{stage_name(module, [])} takes {len(wanted)} argument(s) ({', '.join(wanted) or 'none'}), "
                           f"got {len(args)}")
    start = time.perf_counter()
    rate = run(params, *args, progress=progress)
    name = stage_name(module, args)
    folder = params.resolve_path(paths.TIMINGS)
    write_json(
        folder / f"{name}.json", {"stage": name, "seconds": round(time.perf_counter() - start, 2), "rate": rate or ""}
    )
    write_timing_table(folder, params.profile)
    return 0


def write_timing_table(folder, profile: str) -> None:
    """reports/timings/README.md: the last run of every stage on this machine (not tracked: it differs per run)."""
    from ..io import atomic_write_text, read_json

    rows = [read_json(f) for f in sorted(folder.glob("*.json")) if "stage" in read_json(f)]
    lines = [f"# Stage wall times (profile {profile}, this machine, last run of each stage)", "",
             "| stage | seconds | rate |", "|---|---:|---|"]
    lines += [f"| {r['stage']} | {r['seconds']:.1f} | {r.get('rate', '')} |" for r in rows]
    atomic_write_text(folder / "README.md", "\n".join(lines) + "\n")


def main(run: Callable, argv: list[str] | None = None) -> int:
    module = sys.modules[run.__module__].__spec__.name
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=sys.modules[run.__module__].__doc__)
    parser.add_argument("--params", default="params.yaml", help="parameters file (default: params.yaml)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("args", nargs="*", help=" ".join(positional(run)))
    ns = parser.parse_args(argv)
    try:
        code = execute(run, module, ns.params, ns.args, progress=not ns.no_progress)
    except TlbenchError as exc:
        print(f"tlbench: error: {exc}", file=sys.stderr)
        code = 2
    if run.__module__ == "__main__" and not _threads_left():  # this process is the stage (`python -m`)
        exit_without_teardown(code)
    return code


def _threads_left() -> bool:
    """Threads the interpreter's exit would wait for (a stage that leaves one keeps the ordinary exit)."""
    return any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread())


def exit_without_teardown(code: int) -> NoReturn:
    """End the stage's process without the interpreter's teardown of its modules, which takes ~1.1 s after
    torch, torchvision (with torch._dynamo and sympy) and timm, ~0.3 s after scikit-learn and scipy: seconds
    per `dvc repro` (reports/MEASUREMENTS.md, "Issue 23, tenth round"). What the stage wrote is complete
    (atomic renames); the exit handlers still run (multiprocessing's children, Ray, logging, finalizers)."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
