r"""The tables as a paper would \input them: reports/tables/main.tex (the seed's reproductions) and
supplement.tex (the rest), with methods.tex in a methods section, compile in `article` in one column and
in two with no LaTeX error, no float taller than the page, no overfull box over 1 pt and no glyph the
fonts cannot print; `make paper` (tlbench.reporting.paper) builds reports/paper/tables.pdf with Type 1
and TrueType fonts only; captions stay short, the protocol lives in the methods paragraphs."""
import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO
from tlbench.reporting.experiments import EXPERIMENTS
from tlbench.reporting.render import METHODS_STEM

PARTS = ("main", "supplement", METHODS_STEM)


MAX_CAPTION = 360  # characters (~350) of plain text after the short caption: what, metric, direction, data


def inputs(part: str) -> list[str]:
    return [l[len("\\input{"):-1] for l in (REPO / f"reports/tables/{part}.tex").read_text().splitlines()
            if l.startswith("\\input{")]


def test_main_holds_the_seed_reproductions_and_the_supplement_everything_else():
    every = inputs("main") + inputs("supplement")
    assert len(every) == len(set(every)) == len([l for l in (REPO / "reports/tables.tex").read_text().splitlines()
                                                  if l.startswith("\\input{")])
    main = {i.rsplit("/", 1)[1] for i in inputs("main")}
    assert main == {stem for e in EXPERIMENTS.values() for stem in e.main}
    assert {"anomaly_eer", "anomaly_cdfg_partial", "anomaly_cdfg_complete", "fusion"} <= main
    assert not [i for i in inputs("supplement") if "beyond" in i and i.rsplit("/", 1)[1] in main]


def test_tables_carry_short_captions_and_namespaced_labels():
    for tex in sorted((REPO / "reports/tables").rglob("*.tex")):
        if tex.stem in PARTS:
            continue
        body = tex.read_text()
        assert re.search(r"\\caption\[[^\]]+\]\{", body), tex
        assert re.findall(r"\\label\{([^}]*)\}", body) and all(
            l.startswith("tab:tlbench-") for l in re.findall(r"\\label\{([^}]*)\}", body)), tex
        assert "resizebox" not in body and "textdagger" not in body, tex
        assert re.search(r"\\label\{[^}]*\}\n\\medskip\n\\begin\{tabular\}", body), tex  # a gap above \toprule


def caption_of(md_path) -> str:
    """The Markdown caption after its first sentence, the short caption (the `### ` heading)."""
    text = md_path.read_text()
    short = next(l[4:] for l in text.splitlines() if l.startswith("### "))
    caption = next(p.strip() for p in text.split("\n\n") if p.strip().startswith(short))
    return caption[len(short):].lstrip(". ")


def test_captions_say_what_metric_direction_and_data_in_a_few_lines():
    long = {}
    for md in sorted((REPO / "reports/tables").rglob("*.md")):
        if md.stem in PARTS or md.stem == "anomaly_seed_check":
            continue
        caption = caption_of(md)
        if len(caption) > MAX_CAPTION:
            long[md.stem] = len(caption)
    assert long == {}


def test_every_experiment_has_a_methods_paragraph_naming_its_tables():
    for name in EXPERIMENTS:
        tex = (REPO / f"reports/tables/{name}/{METHODS_STEM}.tex").read_text()
        assert "\\paragraph{Table" in tex and "\\ref{tab:tlbench-" in tex, name
    assert all(f"\\input{{reports/tables/{name}/{METHODS_STEM}}}" in (REPO / "reports/tables/methods.tex").read_text()
               for name in EXPERIMENTS)


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts is absent (.ci/run installs poppler-utils)")
def test_figures_embed_truetype_fonts_only():
    pdfs = sorted((REPO / "reports/figures").rglob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        fonts = listing.splitlines()[2:]
        assert fonts and all("TrueType" in line for line in fonts), (pdf, listing)
