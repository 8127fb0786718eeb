"""Stage fusion_report: seed Table 7 beside ours, the accuracy-vs-features figure, the fine-tuning
curves, their data for `dvc plots`, the metrics file and the provenance."""
from __future__ import annotations

from ...params import Params
from ..stage import main


def run(params: Params, progress: bool = True) -> None:
    """Everything `tlbench.reporting.fusion` reports, written by the one report writer (reporting/report.py)."""
    from ...reporting.fusion import REPORT
    from ...reporting.report import write_report

    write_report(params, REPORT)


if __name__ == "__main__":
    raise SystemExit(main(run))
