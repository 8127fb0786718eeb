"""Stage anomaly_report: seed Tables 1-5 beside ours (a table per registered score measure, the CDFG
tables), the check of the published tables, EER heatmaps, ROC/DET curves per target, the ROC data
for `dvc plots`, the metrics file and the provenance."""
from __future__ import annotations

from ...params import Params
from ..stage import main


def run(params: Params, progress: bool = True) -> None:
    """Everything `tlbench.reporting.anomaly` reports, written by the one report writer (reporting/report.py)."""
    from ...reporting.anomaly import REPORT
    from ...reporting.report import write_report

    write_report(params, REPORT)


if __name__ == "__main__":
    raise SystemExit(main(run))
