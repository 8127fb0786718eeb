"""Downloads with resume, a progress bar and checksum verification; atomic extraction."""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm import tqdm

from ..errors import TlbenchError
from .registry import Archive


def file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(archive: Archive, downloads: Path, progress: bool = True) -> Path:
    """Fetch `archive.url` into `downloads/`, resuming a `.part` file left by an interrupted run."""
    downloads.mkdir(parents=True, exist_ok=True)
    dest = downloads / archive.filename
    part = dest.with_name(dest.name + ".part")
    if not dest.exists():
        have = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(archive.url, headers={"Range": f"bytes={have}-"} if have else {})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status = getattr(response, "status", None) or response.getcode() or 200
                if have and status != 206:  # the server ignored the range: start again
                    have = 0
                length = response.headers.get("Content-Length")
                total = have + int(length) if length else None
                with open(part, "ab" if have else "wb") as fh, tqdm(
                        total=total, initial=have, unit="B", unit_scale=True, desc=archive.filename,
                        disable=not progress or None, mininterval=1.0) as bar:
                    for block in iter(lambda: response.read(1 << 20), b""):
                        fh.write(block)
                        bar.update(len(block))
        except urllib.error.HTTPError as exc:
            if not (exc.code == 416 and have):  # 416 with a .part: it is already complete
                raise TlbenchError(f"downloading {archive.url} failed: HTTP {exc.code}; run the command again later "
                                   f"or download it by hand to {dest}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise TlbenchError(f"downloading {archive.url} failed ({exc}); run the same command again to resume "
                               f"from {part}, or download it by hand to {dest}") from None
        os.replace(part, dest)
    verify(archive, dest)
    return dest


def verify(archive: Archive, path: Path) -> None:
    for algorithm, expected in (("sha256", archive.sha256), ("md5", archive.md5)):
        if expected:
            actual = file_digest(path, algorithm)
            if actual != expected:
                path.unlink()
                raise TlbenchError(f"{path.name}: {algorithm} {actual} is not the published {expected}; the file was "
                                   f"removed: run the command again (if it repeats, the source has changed)")


def extract(archive: Archive, file: Path, parent: Path) -> Path:
    """Unpack into a temporary folder beside the target, then move the dataset folder into place."""
    target = parent / archive.target
    if target.exists():
        raise TlbenchError(f"{target} already exists: remove it first to extract {file.name} again")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tlbench-tmp-extract-", dir=parent))
    try:
        if zipfile.is_zipfile(file):
            with zipfile.ZipFile(file) as zf:
                zf.extractall(tmp)
        elif tarfile.is_tarfile(file):
            with tarfile.open(file) as tf:
                tf.extractall(tmp, filter="data")
        else:
            raise TlbenchError(f"{file} is neither a zip nor a tar archive: download it again")
        inner = tmp / archive.inner
        if not inner.is_dir():
            raise TlbenchError(f"{file.name} has no folder {archive.inner!r}: is it the right archive?")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(inner, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
