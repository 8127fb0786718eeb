"""The anomaly experiment's report (seed Tables 1-5 and beyond), through the one report interface
(`reporting/report.py`): every function takes the typed records (`records.AnomalyRecords`) and the params.
By concern: seed.py (the seed's tables and intervals), beyond.py (anomaly.beyond's variants), selection.py
(the declared selection protocol), correlations.py (gaps vs transfer), figures.py, metrics.py, common.py."""
from __future__ import annotations

from pathlib import Path

from ... import paths
from ...io import load_npy
from ...methods.registry import ANOMALY_VARIANTS, MEASURES, SPACES
from ...records import AnomalyRecords
from ..captions import BEYOND_MARK, data_text, published
from ..experiments import EXPERIMENTS
from ..figures import draw_figures
from ..paper_values import ANOMALY_SOURCE
from ..render import Table, render_pair
from ..report import ExperimentReport
from .beyond import beyond_tables, variants_of
from .common import label
from .correlations import correlation_table, rank_correlations
from .figures import plot_curves, plot_gap_vs_eer, plot_heatmaps, roc_plot_rows
from .metrics import metrics
from .seed import build_tables, seed_consistency
from .selection import selection_tables

DATA = "UCSD Ped1/Ped2 (Mahadevan et al. 2010), York Belleview and Train (Zaharescu and Wildes 2010)"


def context(records: AnomalyRecords, params) -> dict:
    return {"profile": params.profile, "preprocessing": records.first["preprocessing"],
            "data": data_text(params.settings.synthetic, DATA),
            "published": published(ANOMALY_SOURCE, params.model.report.cite.get("anomaly")),
            "beyond": records.beyond_settings}


def has_domain_gaps(rows: list[dict]) -> bool:
    return any(MEASURES[m].computed_from == "domain" for m in rows[0] if m in MEASURES)


def render(rows: list[dict], scenes: list[str], spaces: list[str], context: dict,
           beyond: list[dict] | None = None) -> tuple[list[Table], dict[str, str]]:
    """The tables, and {file name: text} of the check of the published tables (Markdown only). `beyond`: the
    rows of anomaly.beyond's variants (context["beyond"]: their settings), as one more table per space."""
    tables = build_tables(rows, scenes, spaces, context)
    if beyond:
        tables += beyond_tables(rows, beyond, scenes, spaces, context)
    return tables, {"anomaly_seed_check.md": seed_check_text()}


def seed_check_text() -> str:
    checks = seed_consistency()
    return render_pair("seed_check", kinds=("md",), checks=checks, errata=[c for c in checks if not c["match"]],
                       label=label, space_labels={s: SPACES.label(s) for s in SPACES}, source=ANOMALY_SOURCE)["md"]


def tables(records: AnomalyRecords, params) -> list[Table]:
    scenes, spaces, ctx = params.model.anomaly.scenes, params.model.anomaly.spaces, context(records, params)
    out = render(records.rows, scenes, spaces, ctx, records.beyond)[0]
    out += selection_tables(records.selection, records.beyond, scenes, spaces, ctx["data"] + ".")
    if has_domain_gaps(records.rows):
        out.append(correlation_table(rank_correlations(records.rows, scenes, spaces), ctx["data"] + "."))
    return out


def texts(records: AnomalyRecords, params) -> dict[str, str]:
    return {"anomaly_seed_check.md": seed_check_text()}


def figures(records: AnomalyRecords, params, folder: Path, suffix: str) -> None:
    scenes, spaces, rows = params.model.anomaly.scenes, params.model.anomaly.spaces, records.rows
    jobs = [(plot_heatmaps, rows, scenes, spaces, folder / "anomaly_eer_heatmap", suffix)]
    jobs += [(plot_curves, records.scores, scenes, spaces, target, folder / f"anomaly_roc_det_{target}", suffix)
             for target in scenes]
    if has_domain_gaps(rows):
        jobs.append((plot_gap_vs_eer, rows, spaces, folder / "anomaly_gap_vs_eer", suffix))
    jobs += [(plot_heatmaps, [r for r in records.beyond if r["variant"] == variant], scenes, spaces,
              folder / f"anomaly_{variant}_eer_heatmap",
              f" ({ANOMALY_VARIANTS.label(variant)}{BEYOND_MARK}, beyond the seed){suffix}")
             for variant in variants_of(records.beyond)]
    draw_figures(jobs)


def plots(records: AnomalyRecords, params) -> dict[str, tuple[list[str], list[list]]]:
    """Per pair, the ROC curve of every space on a fixed FPR grid (reports/plots/anomaly/roc/<pair>.csv)."""
    scenes, spaces = params.model.anomaly.scenes, params.model.anomaly.spaces
    pairs = [paths.anomaly_pair(s, t) for s in scenes for t in scenes]
    return {f"roc/{p}": (["fpr", *spaces], roc_plot_rows(load_npy(records.scores / f"{p}.npz"), spaces)) for p in pairs}


def provenance(records: AnomalyRecords, params) -> tuple[dict, dict]:
    first = records.rows[0]
    return ({"preprocessing": records.first["preprocessing"], "weights": first.get("weights_id"),
             "detector": first["detector"], "tca": first["tca"], "beyond": records.beyond_settings},
            records.first["versions"])


REPORT = ExperimentReport("anomaly", AnomalyRecords.load, tables, figures, plots, metrics, provenance, texts)
EXPERIMENTS.implement("anomaly", REPORT)
