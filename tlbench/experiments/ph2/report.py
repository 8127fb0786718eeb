"""Stage ph2_report: seed Table 6 beside ours (LaTeX, Markdown), the score-vs-layer figure and its
data for `dvc plots`, the metrics file and the provenance."""
from __future__ import annotations

from ...params import Params
from ..stage import main


def run(params: Params, progress: bool = True) -> None:
    """Everything `tlbench.reporting.ph2` reports, written by the one report writer (reporting/report.py)."""
    from ...reporting.ph2 import REPORT
    from ...reporting.report import write_report

    write_report(params, REPORT)


if __name__ == "__main__":
    raise SystemExit(main(run))
