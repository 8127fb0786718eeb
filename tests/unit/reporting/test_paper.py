r"""The tables as a paper would \input them: reports/tables/main.tex (the seed's reproductions) and
supplement.tex (the rest), with methods.tex in a methods section, compile in `article` in one column and
in two with no LaTeX error, no float taller than the page, no overfull box over 1 pt and no glyph the
fonts cannot print; `make paper` (tlbench.reporting.paper) builds reports/paper/tables.pdf with Type 1
and TrueType fonts only; captions stay short, the protocol lives in the methods paragraphs."""
import shutil
import subprocess

import pytest

from tests.conftest import REPO
from tlbench.errors import TlbenchError
from tlbench.reporting import paper

DOC = r"""\documentclass[%s]{article}
\usepackage{booktabs}
\begin{document}
\listoftables
\input{reports/tables/methods}
\input{reports/tables/main}
\input{reports/tables/supplement}
\end{document}
"""


needs_latex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                                 reason="pdflatex/pdftotext are absent (.ci/run installs texlive and poppler-utils)")


def inputs(part: str) -> list[str]:
    return [l[len("\\input{"):-1] for l in (REPO / f"reports/tables/{part}.tex").read_text().splitlines()
            if l.startswith("\\input{")]


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
def test_main_and_supplement_compile_without_floats_too_large_overfull_boxes_or_missing_glyphs(tmp_path, options):
    log, text = compile_tables(tmp_path, options)
    assert paper.problems(log) == []  # errors, "Float too large", overfull boxes over 1 pt
    assert "Missing character" not in log
    assert "¿" not in text and "¡" not in text  # < > in OT1 text fonts
    assert "G part (A → B)" in text.replace("Gpart", "G part")  # the CDFG formula, typeset as math
    listed = (tmp_path / "doc.lot").read_text().count("\\contentsline {table}")
    assert len(inputs("main")) >= 6 and listed == len(inputs("main")) + len(inputs("supplement"))
    assert "seed Table" not in text and "commit" not in text


def test_problems_name_floats_too_large_errors_and_overfull_boxes():
    log = "\n".join(["LaTeX Warning: Float too large for page by 93.5pt on input line 12.",
                     "Overfull \\hbox (0.4pt too wide) in paragraph at lines 3--3",
                     "Overfull \\hbox (12.2pt too wide) in alignment at lines 5--9", "! Undefined control sequence."])
    found = paper.problems(log)
    assert len(found) == 3 and "Float too large" in found[1] and "12.2pt" in found[2]


@needs_latex
def test_a_table_taller_than_the_page_stops_make_paper(tmp_path):
    tables = tmp_path / "reports/tables"
    tables.mkdir(parents=True)
    rows = "\n".join(f"{i} & {i * i} \\\\" for i in range(120))
    (tables / "main.tex").write_text("\\begin{table}\\centering\\caption{Tall}\\begin{tabular}{rr}\\toprule\n"
                                     f"{rows}\n\\bottomrule\\end{{tabular}}\\end{{table}}\n")
    (tables / "supplement.tex").write_text("")
    (tables / "methods.tex").write_text("")
    (tmp_path / "reports/figures").mkdir()
    with pytest.raises(TlbenchError, match="Float too large"):
        paper.build(tmp_path)
    assert not (tmp_path / "reports/paper/tables.pdf").exists()


@needs_latex
@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts is absent (.ci/run installs poppler-utils)")
def test_make_paper_builds_a_pdf_of_every_table_and_figure_without_type3_fonts(tmp_path):
    shutil.copytree(REPO / "reports/tables", tmp_path / "reports/tables")
    shutil.copytree(REPO / "reports/figures", tmp_path / "reports/figures")
    pdf = paper.build(tmp_path)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and not [f for f in fonts if "Type 3" in f]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    figures = sorted((REPO / "reports/figures").glob("*/*.pdf"))
    assert len(figures) >= 8 and all(f.stem.replace("_", " ") in text for f in figures)
