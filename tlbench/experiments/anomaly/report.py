"""Stage anomaly_report: seed Tables 1-5 beside ours (a table per registered score measure, the CDFG
tables), the check of the seed's own tables, EER heatmaps and ROC/DET curves."""
from __future__ import annotations

from ... import paths
from ...errors import TlbenchError
from ...io import atomic_write_text, git_commit, read_json
from ...methods.registry import MEASURES
from ...params import Params
from ..stage import main


def load_rows(params: Params) -> list[dict]:
    scenes, rows = params.model.anomaly.scenes, []
    for s in scenes:
        for t in scenes:
            path = params.resolve_path(paths.ANOMALY_METRICS / f"{paths.anomaly_pair(s, t)}.json")
            if not path.is_file():
                raise TlbenchError(f"{path} not found: run `dvc repro` (stage anomaly_evaluate@{s}-{t})")
            rows += read_json(path)["rows"]
    return rows


def run(params: Params, progress: bool = True) -> None:
    from ...reporting import anomaly

    scenes, spaces = params.model.anomaly.scenes, params.model.anomaly.spaces
    rows = load_rows(params)
    first = read_json(params.resolve_path(paths.ANOMALY_METRICS / f"{paths.anomaly_pair(scenes[0], scenes[0])}.json"))
    context = {"profile": params.profile, "commit": git_commit(params.root_dir), "preprocessing": first["preprocessing"]}
    tables = params.resolve_path(paths.tables("anomaly"))
    texts = anomaly.render(rows, scenes, spaces, context)
    if any(MEASURES[m].kind == "domain" for m in rows[0] if m in MEASURES):
        correlations = anomaly.render_correlations(anomaly.rank_correlations(rows, scenes, spaces))
        texts |= {f"anomaly_transferability.{kind}": text for kind, text in correlations.items()}
    for name, text in texts.items():
        print(f"wrote {atomic_write_text(tables / name, text)}")
    figures = params.resolve_path(paths.figures("anomaly"))
    anomaly.plot_heatmaps(rows, scenes, spaces, figures / "anomaly_eer_heatmap")
    anomaly.plot_curves(params.resolve_path(paths.ANOMALY_SCORES), scenes, spaces, figures / "anomaly_roc_det")
    anomaly.plot_gap_vs_eer(rows, spaces, figures / "anomaly_gap_vs_eer")


if __name__ == "__main__":
    raise SystemExit(main(run))
