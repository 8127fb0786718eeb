"""`tlbench data check` and `tlbench data fetch`: every dataset of the profile, found / missing /
invalid, with what to do. Each dataset module inspects itself (`DATASETS.implement`)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..errors import TlbenchError
from ..params import Params
from .registry import DATASETS, Archive


@dataclass
class CheckRow:
    dataset: str
    status: str  # found | missing | invalid
    found: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    message: str = ""


def how_to_get(params: Params, key: str) -> str:
    info, where = DATASETS[key], params.dataset_root(key)
    if params.settings.synthetic:
        return f"run `tlbench demo-data` (or `dvc repro demo_data`) to generate it at {where}"
    how = f"run `tlbench data fetch {key}` (source: {info.source})" if info.archives else \
        f"download it by hand from {info.source}"
    return f"{how} so that {where} holds {info.layout} (or link it there); {info.citation}"


def demo_counts(params: Params) -> dict[str, dict]:
    """What the twins hold (the demo_data params), instead of the official counts."""
    from .demo.produce import FRUIT_KINDS

    d, n = params.model.demo_data, len(FRUIT_KINDS)
    ucsd = {"train clips": d.ucsd["train_clips"], "test clips": d.ucsd["test_clips"]}
    return {"ph2": {"images": sum(d.ph2.counts)},
            "fruits360": {"classes": n, "train": n * d.fruits360["train_per_class"],
                          "test": n * d.fruits360["test_per_class"]},
            "supermarket": {"classes": n, "images": n * d.supermarket.per_class},
            "ucsd_ped1": ucsd, "ucsd_ped2": ucsd,
            "york_belleview": {"frames": d.york.n_frames}, "york_train": {"frames": d.york.n_frames},
            "cifar10": {"train": 10 * d.cifar10["train_per_class"], "test": 10 * d.cifar10["test_per_class"]}}


def check_dataset(params: Params, key: str) -> list[CheckRow]:
    root = params.dataset_root(key)
    if not root.exists():
        return [CheckRow(key, "missing", message=f"{root} not found: {how_to_get(params, key)}")]
    importlib.import_module(f"{__package__}.{key}")  # each dataset's module is named by its key
    try:
        found = DATASETS.impl(key)(params, root)
    except TlbenchError as exc:
        return [CheckRow(key, "invalid", message=str(exc))]
    demo = demo_counts(params) if params.settings.synthetic else {}
    rows = []
    for name, counts, official in found:
        expected = demo.get(name, official)
        row = CheckRow(name, "found", counts, expected)
        wrong = {k: (counts.get(k), v) for k, v in expected.items() if counts.get(k) != v}
        if wrong:
            detail = ", ".join(f"{k} {f} (expected {e})" for k, (f, e) in wrong.items())
            row.status, row.message = "invalid", (f"{root}: {detail}: the copy is incomplete or another release; "
                                                   f"{how_to_get(params, key)}")
        rows.append(row)
    return rows


def check(params: Params, keys: list[str] | None = None) -> list[CheckRow]:
    return [row for key in (keys or list(DATASETS)) for row in check_dataset(params, key)]


def format_rows(rows: list[CheckRow], profile: str) -> str:
    lines = [f"profile {profile}:", f"{'dataset':<16} {'status':<8} counts"]
    for r in rows:
        counts = ", ".join(f"{k} {v}" + (f"/{r.expected[k]}" if r.expected.get(k) not in (None, v) else "")
                           for k, v in r.found.items()) or "-"
        lines.append(f"{r.dataset:<16} {r.status:<8} {counts}")
        if r.message:
            lines.append(f"{'':<16} {r.message}")
    return "\n".join(lines)


def fetch(params: Params, key: str, progress: bool = True, archives: tuple[Archive, ...] | None = None) -> Path:
    """`tlbench data fetch KEY`: download (resumable, verified) and extract into the profile's root."""
    from .fetch import download, extract

    info = DATASETS[key]
    archives = archives if archives is not None else info.archives
    if not archives:
        raise TlbenchError(f"{info.label} cannot be fetched automatically: {how_to_get(params, key)}")
    root = params.dataset_root(key)
    downloads = params.resolve_path(paths.DOWNLOADS)
    for archive in archives:
        target = Path(archive.target.format(root=root))
        if target.exists():
            print(f"{target} exists; skipping {archive.filename}")
            continue
        file = download(archive, downloads, progress=progress)
        extract(Archive(archive.url, archive.inner, target.name, archive.sha256, archive.md5), file, target.parent)
        record_source(archive, file, target)
    return root


SOURCE_RECORD = "tlbench-source.json"


def record_source(archive: Archive, file: Path, target: Path) -> None:
    """<dataset>/tlbench-source.json: the archive's URL and SHA-256, so that the provenance of every result
    names the exact file, also for archives whose URL is not pinned (Fruits-360 is fetched from a branch)."""
    from ..io import write_json
    from .fetch import file_digest

    write_json(target / SOURCE_RECORD, {"url": archive.url, "file": file.name, "sha256": file_digest(file, "sha256"),
                                        "pinned": bool(archive.sha256 or archive.md5)})


def source_record(root: Path) -> dict | None:
    path = Path(root) / SOURCE_RECORD
    if not path.is_file():
        return None
    from ..io import read_json

    return read_json(path)
