"""Stage ph2_report: seed Table 6 beside ours (LaTeX, Markdown), the score-vs-layer figure and its
data for `dvc plots`, the metrics file and the provenance."""
from __future__ import annotations

from ... import paths
from ...errors import TlbenchError
from ...io import read_json, read_jsonl, write_csv
from ...params import Params
from ..stage import main


def run(params: Params, progress: bool = True) -> None:
    from ...reporting import ph2
    from ...reporting.captions import data_text, figure_suffix, published
    from ...reporting.outputs import write_metrics, write_provenance
    from ...reporting.paper_values import TABLE6_SOURCE
    from ...reporting.render import write_tables

    folds, summary_path = params.resolve_path(paths.PH2_FOLDS), params.resolve_path(paths.PH2_SUMMARY)
    if not folds.is_file() or not summary_path.is_file():
        raise TlbenchError(f"{folds} not found: run the ph2_evaluate stage first (`dvc repro`)")
    rows, summary = read_jsonl(folds), read_json(summary_path)
    synthetic = params.settings.synthetic
    context = ph2.Ph2Context(profile=params.profile, seed=params.seed, synthetic=synthetic,
                             preprocessing=summary["provenance"]["preprocessing"],
                             published=published(TABLE6_SOURCE, params.model.report.cite.get("ph2")),
                             beyond=tuple(key for key, _, _, beyond in params.ph2_models() if beyond),
                             alpha=params.model.uncertainty.alpha)
    provenance = f"{data_text(synthetic, 'PH2')}. Profile {params.profile}, random seed {params.seed}."
    tables = ph2.render_ph2_tables(rows, context) + ph2.render_transferability(summary, provenance, context.beyond)
    for path in write_tables(params.resolve_path(paths.tables("ph2")), tables):
        print(f"wrote {path}")
    ph2.plot_ph2_layers(rows, params.resolve_path(paths.figures("ph2")) / "ph2_layers", figure_suffix(synthetic),
                        context.beyond)
    for stem, (header, data) in ph2.sweep_plot_rows(rows).items():
        write_csv(params.resolve_path(paths.plots("ph2")) / f"{stem}.csv", header, data)
    write_metrics(params, "ph2")
    write_provenance(params, "ph2", {"preprocessing": summary["provenance"]["preprocessing"],
                                     "tasks": summary["provenance"]["tasks"]},
                     summary["provenance"].get("versions"))


if __name__ == "__main__":
    raise SystemExit(main(run))
