"""Atomic writes, result records and provenance."""
from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

TMP_PREFIX = ".tlbench-tmp-"  # .dvcignore lists it: DVC never hashes a temporary file into a stage's deps
# a start time is exact to a second (Linux counts from a boot time in whole seconds), and a clock stepped
# forward moves it later: a minute of slack, since sweeping a live writer's file fails it while keeping
# a dead one's costs only disk
START_TIME_SLACK_S = 60.0


def _temp_prefix(name: str) -> str:
    """The writer's pid comes first, so that `sweep_stale` can tell a live writer's file from a killed one's."""
    return f"{TMP_PREFIX}{os.getpid()}-{name}-"


def _writer_alive(path: Path) -> bool:
    import psutil

    match = re.match(rf"{re.escape(TMP_PREFIX)}(\d+)-", path.name)
    if not match:
        return False  # no pid: left by an older tlbench, so its writer is gone
    try:
        process = psutil.Process(int(match.group(1)))
        if process.status() == psutil.STATUS_ZOMBIE:
            return False  # killed, not yet reaped (an orphan under a pid 1 that reaps nobody): it writes nothing more
        # a writer starts before it makes its file; a process started after the file's last change holds a
        # reused pid (a new container numbers its processes as the killed one did)
        return process.create_time() <= path.lstat().st_mtime + START_TIME_SLACK_S
    except (psutil.NoSuchProcess, FileNotFoundError):
        return False
    except psutil.AccessDenied:
        return True  # another user's process: keep what may be its file


def sweep_stale(folder: str | Path) -> list[Path]:
    """Remove the temporary files and folders in `folder` whose writer died (kill -9, out of memory,
    a lost node) before renaming them; returns what it removed. A live writer's are kept."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    ours = [folder / e for e in sorted(os.listdir(folder)) if e.startswith(TMP_PREFIX)]
    stale = [path for path in ours if not _writer_alive(path)]
    for path in stale:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return stale


def sweep_outputs(root: str | Path) -> list[Path]:
    """`sweep_stale` in every folder where stages write (data/, data/features/*, reports/**, two levels):
    a stage starts by removing what killed stages left, whichever stage that was."""
    from . import paths

    root = Path(root)
    folders = [root / paths.DATA, root / paths.FEATURES, root / paths.REPORTS, root / paths.FINETUNE_MODEL.parent,
               root / paths.FINETUNE_WORK.parent]
    for parent in (root / paths.FEATURES, root / paths.REPORTS):
        children = [p for p in parent.iterdir() if p.is_dir()] if parent.is_dir() else []
        folders += children + [g for c in children for g in c.iterdir() if g.is_dir()]
    return [p for folder in folders for p in sweep_stale(folder)]


@contextlib.contextmanager
def atomic_dir(final: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside `final`; on success it replaces `final`, on error it is removed.
    Leftovers of killed writers beside `final` are swept first."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(final.parent)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(final.name), dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would survive the rename
    try:
        yield tmp
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=_temp_prefix(f"old-{final.name}"), dir=final.parent))
            os.replace(final, old / final.name)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_path(path: str | Path, mode: int = 0o644) -> Iterator[Path]:
    """Yield a unique temporary path beside `path` for a writer that wants a file name (savefig, ...);
    on success it replaces `path`, on error it is removed. Two writers of one path never share it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path.name), dir=path.parent)
    os.close(fd)
    os.chmod(tmp, mode)  # mkstemp's 0600 would survive the rename
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    return Path(path)


def write_json(path: str | Path, obj) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def _unreadable(path: Path, what: str, exc: Exception):
    from .errors import TlbenchError
    from .paths import rerun_hint

    return TlbenchError(f"{path} is {what} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}): "
                        f"{rerun_hint(path)}")


def _missing(path: Path):
    from .errors import TlbenchError
    from .paths import rerun_hint

    return TlbenchError(f"{path} not found: {rerun_hint(path).replace('re-run', 'run', 1)}")


def _read_text_as(path: str | Path, parse, what: str):
    """parse(text) of a stage's output; a missing or corrupt one is an error naming it and the stage that
    rewrites it."""
    path = Path(path)
    try:
        return parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _missing(path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _unreadable(path, what, exc) from None


def read_json(path: str | Path):
    return _read_text_as(path, json.loads, "not valid JSON")


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> Path:
    return atomic_write_text(path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))


def read_jsonl(path: str | Path) -> list[dict]:
    return _read_text_as(path, lambda text: [json.loads(line) for line in text.split("\n") if line.strip()],
                         "not valid JSON lines")


def load_npy(path: str | Path, mmap: bool = False):
    """An array written by a stage (`.npy`, or `.npz` as a mapping); a missing, truncated or corrupt one is an
    error naming it and the stage that rewrites it."""
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise _missing(path)
    try:
        data = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        if isinstance(data, np.lib.npyio.NpzFile):
            data = {k: data[k] for k in data.files}  # read now, so that a bad member fails here
        return data
    except (ValueError, OSError, EOFError, KeyError) as exc:
        raise _unreadable(path, "truncated or corrupt", exc) from None


def write_csv(path: str | Path, header: list[str], rows: Iterable[Iterable]) -> Path:
    """A small CSV (plots data), written atomically; floats with repr precision, so reruns give the same bytes."""
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return atomic_write_text(path, "\n".join(lines) + "\n")


def read_csv(path: str | Path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        return [{k: float(v) if v not in ("",) else None for k, v in row.items()} for row in csv.DictReader(fh)]


def git_commit(cwd: str | Path = ".") -> str:
    """Short commit of the working tree, with `-dirty` when tracked files differ from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=cwd, capture_output=True,
                                text=True, check=True).stdout.strip()
        # dvc.lock and reports/ change while `dvc repro` runs; only code and params count as dirty
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":(exclude)dvc.lock", ":(exclude)reports"], cwd=cwd,
                               capture_output=True, text=True, check=True).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def library_versions() -> dict[str, str]:
    """Installed versions, read from package metadata (importing torch just for this costs seconds)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for package in ("numpy", "scikit-learn", "scipy", "timm", "torch", "torchvision", "opencv-python-headless"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "absent"
    return out


def load_features(feature_dir: str | Path, layer, mmap: bool = True):
    """One layer's features (N x D float32) as written by the extraction engine; `layer` is a
    registry Layer or a node name."""
    node = getattr(layer, "node", layer)
    return load_npy(Path(feature_dir) / f"{node}.npy", mmap=mmap)


def load_meta(feature_dir: str | Path) -> dict:
    return read_json(Path(feature_dir) / "meta.json")
