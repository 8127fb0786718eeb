"""Stage fusion_report: seed Table 7 beside ours, the accuracy-vs-features figure, the fine-tuning
curves, their data for `dvc plots`, the metrics file and the provenance."""
from __future__ import annotations

from ... import paths
from ...io import read_csv, read_json, read_jsonl, write_csv
from ...params import Params
from ..stage import main


def run(params: Params, progress: bool = True) -> None:
    from ...reporting import fusion
    from ...reporting.captions import data_text, figure_suffix, published
    from ...reporting.outputs import write_metrics, write_provenance
    from ...reporting.paper_values import TABLE7_SOURCE
    from ...reporting.render import write_tables

    rows, summary = read_jsonl(params.resolve_path(paths.FUSION_RESULTS)), read_json(params.resolve_path(paths.FUSION_SUMMARY))
    synthetic = params.settings.synthetic
    data = data_text(synthetic, "Fruits-360 (Mureşan and Oltean 2018) to Supermarket Produce (Rocha et al. 2010)")
    context = {"profile": params.profile, "seed": params.seed, "preprocessing": summary["preprocessing"], "data": data,
               "published": published(TABLE7_SOURCE, params.model.report.cite.get("fusion"))}
    tables = [fusion.render(rows, context)]
    transfer = fusion.render_transferability(summary, f"{data}. Profile {params.profile}, random seed {params.seed}.")
    for path in write_tables(params.resolve_path(paths.tables("fusion")), tables + ([transfer] if transfer else [])):
        print(f"wrote {path}")
    figures, suffix = params.resolve_path(paths.figures("fusion")), figure_suffix(synthetic)
    fusion.plot_accuracy(rows, figures / "fusion_accuracy", suffix)
    fusion.plot_history(read_csv(params.resolve_path(paths.FINETUNE_HISTORY)), figures / "finetune_curves", suffix)
    write_csv(params.resolve_path(paths.plots("fusion")) / "accuracy.csv", *fusion.accuracy_plot_rows(rows))
    write_metrics(params, "fusion")
    from ...data.catalog import source_record

    write_provenance(params, "fusion", {"preprocessing": summary["preprocessing"], "weights": rows[0].get("weights_id"),
                                        "fruits360_archive": source_record(params.dataset_root("fruits360")) or
                                        "not fetched by `tlbench data fetch`: no archive checksum recorded"},
                     summary.get("versions"))


if __name__ == "__main__":
    raise SystemExit(main(run))
