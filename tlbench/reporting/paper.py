"""`make paper`: reports/paper/tables.pdf, the main-text tables, the supplement, the methods paragraphs
and every figure at its printed width, compiled in a two-column article as a paper would \\input them.
Needs pdflatex (texlive-latex-base and -recommended); it fails, naming what is wrong, on a LaTeX error,
a float taller than the page or an overfull box over 1 pt.

    python -m tlbench.reporting.paper [--root .]
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .. import paths
from ..errors import TlbenchError
from ..io import atomic_path

PAPER_PDF = paths.REPORTS / "paper" / "tables.pdf"  # not a DVC output: it needs pdflatex (`make paper`)

# IEEEtran's measures (columns of 3.5 in, text 7.16 in: what figures.py draws for), in plain article
DOCUMENT = r"""\documentclass[twocolumn,letterpaper]{article}
\usepackage[text={7.16in,9.5in},columnsep=0.16in]{geometry}
\usepackage{booktabs}
\usepackage{graphicx}
\begin{document}
\listoftables
\section*{Methods}
\input{reports/tables/methods}
\section*{Main text}
\input{reports/tables/main}
\clearpage
\section*{Supplement}
\input{reports/tables/supplement}
\clearpage
\section*{Figures}
%s
\end{document}
"""


def figure_floats(root: Path) -> str:
    """Every figure at its printed width: `figure` for a column-wide one, `figure*` for a text-wide one."""
    from .figures import COLUMN_WIDTH, DPI
    from .render import latex_escape

    floats = []
    for pdf in sorted((root / paths.REPORTS / "figures").glob("*/*.pdf")):
        png = pdf.with_suffix(".png")
        wide = not png.is_file() or png_width(png) > round(COLUMN_WIDTH * DPI)
        env, rel = ("figure*" if wide else "figure"), pdf.relative_to(root).with_suffix("").as_posix()
        floats.append(f"\\begin{{{env}}}[tbp]\\centering\\includegraphics{{{rel}}}"
                      f"\\caption{{\\texttt{{{latex_escape(pdf.stem)}}}}}\\end{{{env}}}")
    return "\n".join(floats)


def png_width(path: Path) -> int:
    import struct

    with open(path, "rb") as f:
        return struct.unpack(">I", f.read(24)[16:20])[0]


def problems(log: str) -> list[str]:
    """What a paper's editor would reject in a pdflatex log: errors, floats too large, overfull boxes > 1 pt."""
    found = [l for l in log.splitlines() if l.startswith("!")]
    found += [l.strip() for l in log.splitlines() if "Float too large" in l]
    found += [l for l in log.splitlines() if (m := re.search(r"Overfull \\hbox \(([\d.]+)pt too wide\)", l)) and
              float(m.group(1)) > 1.0]
    return found


def build(root: Path) -> Path:
    """Compile in a temporary folder (two passes for the list of tables), then move the PDF into place."""
    if shutil.which("pdflatex") is None:
        raise TlbenchError("pdflatex not found: install texlive-latex-base and texlive-latex-recommended "
                           "(apt-get install -y texlive-latex-base texlive-latex-recommended), then `make paper`")
    for needed in (paths.MAIN_TEX, paths.SUPPLEMENT_TEX, paths.METHODS_TEX):
        if not (root / needed).is_file():
            raise TlbenchError(f"{root / needed} not found: run `make repro` (stage reports) first")
    with tempfile.TemporaryDirectory(prefix=".tlbench-paper-") as tmp:
        work = Path(tmp)
        for part in ("tables", "figures"):
            shutil.copytree(root / paths.REPORTS / part, work / paths.REPORTS / part)
        (work / "tables.tex").write_text(DOCUMENT % figure_floats(root))
        for _ in range(2):
            subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "tables.tex"], cwd=work,
                           capture_output=True, timeout=300)
        log = (work / "tables.log").read_text(errors="replace") if (work / "tables.log").is_file() else ""
        found = problems(log) or ([] if (work / "tables.pdf").is_file() else ["pdflatex wrote no PDF"])
        if found:
            raise TlbenchError("reports/paper/tables.pdf not built: " + "; ".join(found[:5]))
        target = root / PAPER_PDF
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp_pdf:
            shutil.copy(work / "tables.pdf", tmp_pdf)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tlbench.reporting.paper", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="the repository (default: .)")
    args = parser.parse_args(argv)
    try:
        print(f"wrote {build(args.root.resolve())}")
    except TlbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
