"""reports/tables.tex must compile, every table fitting the text width."""
import shutil
import subprocess

import pytest

from tests.conftest import REPO

DOC = r"""\documentclass{article}
\usepackage{booktabs}
\usepackage{graphicx}
\begin{document}
\input{reports/tables}
\end{document}
"""


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is absent (.ci/run installs texlive)")
def test_every_table_compiles_without_overfull_boxes(tmp_path):
    shutil.copytree(REPO / "reports", tmp_path / "reports")
    (tmp_path / "doc.tex").write_text(DOC)
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    assert "Overfull \\hbox" not in log, [l for l in log.splitlines() if "Overfull" in l]
    inputs = sum(line.startswith("\\input{") for line in (REPO / "reports/tables.tex").read_text().splitlines())
    assert inputs >= 6 and log.count("reports/tables/") >= inputs
