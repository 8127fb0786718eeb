"""tlbench/reporting/captions.py: the data sentence, the published-values sentence with and without a
citation, registry labels with math, and the demo's figure suffix."""
from tlbench.reporting.captions import SYNTHETIC, data_text, figure_suffix, math_label, published
from tlbench.reporting.render import Rich


def test_demo_captions_say_synthetic_and_real_ones_name_the_data():
    assert data_text(True, "PH2") == SYNTHETIC and "not an estimate" in SYNTHETIC
    assert data_text(False, "PH2 (Mendonça et al. 2013)") == "Data: PH2 (Mendonça et al. 2013)"
    assert figure_suffix(True) == " (synthetic demo data)" and figure_suffix(False) == ""


def test_published_values_cite_a_key_in_latex_and_bracket_it_in_markdown():
    cited = published("Table 6 of X & Y 2020", "xy2020")
    assert cited.tex == r"Published values: Table 6 of X \& Y 2020~\cite{xy2020}."
    assert cited.md == "Published values: Table 6 of X & Y 2020 [xy2020]."
    assert "cite" not in str(published("Table 6", None))


def test_math_labels_keep_latex_and_drop_the_markup_in_markdown():
    label = math_label(r"$G_\mathrm{part}$")
    assert isinstance(label, Rich) and label.tex == r"$G_\mathrm{part}$" and label.md == "G_part"
    assert math_label("EER (%)") == "EER (%)"
