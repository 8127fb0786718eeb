"""Stage anomaly_report: seed Tables 1-5 beside ours (a table per registered score measure, the CDFG
tables), the check of the published tables, EER heatmaps, ROC/DET curves per target, the ROC data
for `dvc plots`, the metrics file and the provenance."""
from __future__ import annotations

from ... import paths
from ...errors import TlbenchError
from ...io import atomic_write_text, load_npy, read_json
from ...methods.registry import MEASURES
from ...params import Params
from ..stage import main


def load_rows(params: Params) -> list[dict]:
    scenes, rows = params.model.anomaly.scenes, []
    for s in scenes:
        for t in scenes:
            path = params.resolve_path(paths.ANOMALY_RECORDS / f"{paths.anomaly_pair(s, t)}.json")
            if not path.is_file():
                raise TlbenchError(f"{path} not found: run `dvc repro` (stage anomaly_evaluate)")
            rows += read_json(path)["rows"]
    return rows


def load_beyond(params: Params) -> tuple[list[dict], dict | None]:
    """The rows of anomaly.beyond's variants and their settings (none when no variant is enabled)."""
    b = params.model.anomaly.beyond
    if not b or not b.variants:
        return [], None
    scenes, rows, settings = params.model.anomaly.scenes, [], None
    for s in scenes:
        for t in scenes:
            path = params.resolve_path(paths.ANOMALY_BEYOND_RECORDS / f"{paths.anomaly_pair(s, t)}.json")
            if not path.is_file():
                raise TlbenchError(f"{path} not found: run `dvc repro` (stage anomaly_beyond)")
            record = read_json(path)
            rows, settings = rows + record["rows"], record["settings"]
    return rows, settings


def load_selection(params: Params) -> dict:
    """The declared selection protocol's record (no rows when no variant or protocol none)."""
    b = params.model.anomaly.beyond
    if not b or not b.variants:
        return {"rows": []}
    return read_json(params.resolve_path(paths.ANOMALY_BEYOND_SELECTION))


def write_plots_data(params: Params, spaces: list[str]) -> None:
    from ...io import write_csv
    from ...reporting.anomaly import roc_plot_rows

    scenes, scores = params.model.anomaly.scenes, params.resolve_path(paths.ANOMALY_SCORES)
    folder = params.resolve_path(paths.plots("anomaly") / "roc")
    for s in scenes:
        for t in scenes:
            pair = paths.anomaly_pair(s, t)
            write_csv(folder / f"{pair}.csv", ["fpr", *spaces], roc_plot_rows(load_npy(scores / f"{pair}.npz"), spaces))


def write_figures(params: Params, rows: list[dict], spaces: list[str], beyond: list[dict]) -> None:
    from ...reporting import anomaly
    from ...reporting.captions import BEYOND_MARK, figure_suffix

    scenes, suffix = params.model.anomaly.scenes, figure_suffix(params.settings.synthetic)
    figures = params.resolve_path(paths.figures("anomaly"))
    anomaly.plot_heatmaps(rows, scenes, spaces, figures / "anomaly_eer_heatmap", suffix)
    for target in scenes:
        anomaly.plot_curves(params.resolve_path(paths.ANOMALY_SCORES), scenes, spaces, target,
                            figures / f"anomaly_roc_det_{target}", suffix)
    if any(MEASURES[m].kind == "domain" for m in rows[0] if m in MEASURES):
        anomaly.plot_gap_vs_eer(rows, spaces, figures / "anomaly_gap_vs_eer", suffix)
    for variant in anomaly.variants_of(beyond):
        anomaly.plot_heatmaps([r for r in beyond if r["variant"] == variant], scenes, spaces,
                              figures / f"anomaly_{variant}_eer_heatmap", f" ({anomaly.ANOMALY_VARIANTS.label(variant)}"
                              f"{BEYOND_MARK}, beyond the seed){suffix}")


def run(params: Params, progress: bool = True) -> None:
    from ...reporting import anomaly
    from ...reporting.anomaly_selection import selection_tables
    from ...reporting.captions import data_text, published
    from ...reporting.outputs import write_metrics, write_provenance
    from ...reporting.paper_values import ANOMALY_SOURCE
    from ...reporting.render import write_tables

    scenes, spaces = params.model.anomaly.scenes, params.model.anomaly.spaces
    rows, (beyond, beyond_settings) = load_rows(params), load_beyond(params)
    first = read_json(params.resolve_path(paths.ANOMALY_RECORDS / f"{paths.anomaly_pair(scenes[0], scenes[0])}.json"))
    context = {"profile": params.profile, "preprocessing": first["preprocessing"],
               "data": data_text(params.settings.synthetic, "UCSD Ped1/Ped2 (Mahadevan et al. 2010), York Belleview "
                                 "and Train (Zaharescu and Wildes 2010)"),
               "published": published(ANOMALY_SOURCE, params.model.report.cite.get("anomaly")), "beyond": beyond_settings}
    tables, extra = anomaly.render(rows, scenes, spaces, context, beyond)
    tables += selection_tables(load_selection(params), beyond, scenes, spaces, context["data"] + ".")
    if any(MEASURES[m].kind == "domain" for m in rows[0] if m in MEASURES):
        tables.append(anomaly.correlation_table(anomaly.rank_correlations(rows, scenes, spaces), context["data"] + "."))
    folder = params.resolve_path(paths.tables("anomaly"))
    for path in write_tables(folder, tables) + [atomic_write_text(folder / name, text) for name, text in extra.items()]:
        print(f"wrote {path}")
    write_figures(params, rows, spaces, beyond)
    write_plots_data(params, spaces)
    write_metrics(params, "anomaly")
    write_provenance(params, "anomaly", {"preprocessing": first["preprocessing"], "weights": rows[0].get("weights_id"),
                                         "detector": rows[0]["detector"], "tca": rows[0]["tca"],
                                         "beyond": beyond_settings}, first["versions"])


if __name__ == "__main__":
    raise SystemExit(main(run))
