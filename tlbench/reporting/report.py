"""One interface for every experiment's report, and one writer. Each `reporting/<experiment>.py` registers an
`ExperimentReport` (`EXPERIMENTS.implement(name, REPORT)`): functions of the experiment's typed records
(`tlbench/records.py`) that return what the report holds, so they are testable without files; `write_report`
alone writes it all, atomically, where `tlbench/paths.py` says. A report stage is `write_report(params, REPORT)`."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import paths
from ..io import atomic_write_text, write_csv
from .render import Table


def _no_texts(records, params) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class ExperimentReport:
    name: str  # the experiment, as in EXPERIMENTS and tlbench/paths.py
    load: Callable[[Any], Any]  # params -> the experiment's records (tlbench/records.py)
    tables: Callable[[Any, Any], list[Table]]  # records, params -> the tables, in reading order
    figures: Callable[[Any, Any, Path, str], None]  # records, params, folder, title suffix: draws and saves them
    plots: Callable[[Any, Any], dict[str, tuple[list[str], list[list]]]]  # {stem: (header, rows)} for `dvc plots`
    metrics: Callable[[Any, Any], dict[str, float]]  # {name: number}, every name ending in a registered measure
    provenance: Callable[[Any, Any], tuple[dict, dict]]  # records, params -> (what produced them, versions)
    texts: Callable[[Any, Any], dict[str, str]] = field(default=_no_texts)  # {file name: text} beside the tables


def write_report(params, report: ExperimentReport) -> None:
    """Tables, extra texts, figures, `dvc plots` data, the metrics file and the provenance of one experiment."""
    from .captions import figure_suffix
    from .outputs import write_metrics, write_provenance
    from .render import write_tables

    records = report.load(params)
    tables = params.resolve_path(paths.tables(report.name))
    written = write_tables(tables, report.tables(records, params))
    written += [atomic_write_text(tables / name, text) for name, text in report.texts(records, params).items()]
    for path in written:
        print(f"wrote {path}")
    report.figures(records, params, params.resolve_path(paths.figures(report.name)),
                   figure_suffix(params.settings.synthetic))
    for stem, (header, rows) in report.plots(records, params).items():
        write_csv(params.resolve_path(paths.plots(report.name)) / f"{stem}.csv", header, rows)
    write_metrics(params, report.name, report.metrics(records, params))
    write_provenance(params, report.name, *report.provenance(records, params))
