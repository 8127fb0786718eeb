"""Atomic writes, result records and provenance."""
from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable, Iterator


@contextlib.contextmanager
def atomic_dir(final: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside `final`; on success it replaces `final`, on error it is removed."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tlbench-tmp-{final.name}-", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would survive the rename
    try:
        yield tmp
        if final.exists():
            old = final.with_name(f".tlbench-tmp-old-{final.name}-{os.getpid()}")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tlbench-tmp-{path.name}-", dir=path.parent)
    os.chmod(tmp, 0o644)  # mkstemp's 0600 would survive the rename
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def write_json(path: str | Path, obj) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: str | Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> Path:
    return atomic_write_text(path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))


def read_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


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
    import numpy as np

    from .errors import TlbenchError

    node = getattr(layer, "node", layer)
    path = Path(feature_dir) / f"{node}.npy"
    if not path.is_file():
        raise TlbenchError(f"{path} not found: run the extract stage (`dvc repro`) for this backbone and layer")
    return np.load(path, mmap_mode="r" if mmap else None)


def load_meta(feature_dir: str | Path) -> dict:
    from .errors import TlbenchError

    path = Path(feature_dir) / "meta.json"
    if not path.is_file():
        raise TlbenchError(f"{path} not found: run the extract stage (`dvc repro`)")
    return json.loads(path.read_text())
