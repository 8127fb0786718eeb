"""reports/tables.tex as a paper would \\input it: it compiles in `article` with a list of tables, in one
column and in two, with no overfull box over 1 pt and no glyph that the fonts cannot print; the
figures' PDFs embed TrueType (Type 42) fonts only, as IEEE/ACM checkers require."""
import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO

DOC = r"""\documentclass[%s]{article}
\usepackage{booktabs}
\begin{document}
\listoftables
\input{reports/tables}
\end{document}
"""
needs_latex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                                 reason="pdflatex/pdftotext are absent (.ci/run installs texlive and poppler-utils)")


def compile_tables(folder, options: str) -> tuple[str, str]:
    shutil.copytree(REPO / "reports", folder / "reports")
    (folder / "doc.tex").write_text(DOC % options)
    for _ in range(2):  # the second run fills the list of tables
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=folder,
                             capture_output=True, text=True, errors="replace", timeout=180)
    log = (folder / "doc.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    text = subprocess.run(["pdftotext", "doc.pdf", "-"], cwd=folder, capture_output=True, text=True, check=True).stdout
    return log, text


@needs_latex
@pytest.mark.parametrize("options", ["", "twocolumn"])
def test_tables_compile_without_overfull_boxes_or_missing_glyphs(tmp_path, options):
    log, text = compile_tables(tmp_path, options)
    overfull = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(w <= 1.0 for w in overfull), [l for l in log.splitlines() if "Overfull" in l]
    assert "Missing character" not in log
    assert "¿" not in text and "¡" not in text  # < > in OT1 text fonts
    assert "G part (A → B)" in text.replace("Gpart", "G part")  # the CDFG formula, typeset as math
    inputs = [l for l in (REPO / "reports/tables.tex").read_text().splitlines() if l.startswith("\\input{")]
    listed = (tmp_path / "doc.lot").read_text().count("\\contentsline {table}")
    assert len(inputs) >= 6 and listed == len(inputs)  # every table typeset, each in the list of tables
    assert "seed Table" not in text and "commit" not in text


def test_tables_carry_short_captions_and_namespaced_labels():
    for tex in sorted((REPO / "reports/tables").rglob("*.tex")):
        body = tex.read_text()
        assert re.search(r"\\caption\[[^\]]+\]\{", body), tex
        assert re.findall(r"\\label\{([^}]*)\}", body) and all(
            l.startswith("tab:tlbench-") for l in re.findall(r"\\label\{([^}]*)\}", body)), tex
        assert "resizebox" not in body, tex


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts is absent (.ci/run installs poppler-utils)")
def test_figures_embed_truetype_fonts_only():
    pdfs = sorted((REPO / "reports/figures").rglob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        fonts = listing.splitlines()[2:]
        assert fonts and all("TrueType" in line for line in fonts), (pdf, listing)
