"""tlbench/reporting/render.py: LaTeX escaping, math, the methods paragraphs, number formats."""


from tests.unit.reporting.conftest import CTX
from tlbench.reporting.ph2 import render_ph2_tables
from tlbench.reporting.render import latex_escape, render_table


def test_latex_specials_are_escaped():
    assert latex_escape("MMD² ± 1") == r"MMD\textsuperscript{2} $\pm$ 1"
    assert latex_escape("|EER(A->A)|") == r"\textbar{}EER(A$\rightarrow$A)\textbar{}"  # not ¿ and — in T1/OT1
    assert (
        latex_escape("a_b & 50% #1 {x} ~ ^ \\")
        == r"a\_b \& 50\% \#1 \{x\} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )
    assert latex_escape("layer -2, tau -0.40, x-2") == r"layer $-$2, tau $-$0.40, x-2"  # a minus, not a hyphen
    assert latex_escape("a < b > c") == r"a \textless{} b \textgreater{} c"


def test_captions_say_what_and_the_methods_paragraph_which_protocol_produced_the_table(records):
    from tlbench.reporting.render import render_methods

    tables = render_ph2_tables(records, CTX)
    for table in tables[1:]:
        texts = render_table(table)
        for text in texts.values():
            assert "3-fold CV" in text and "Synthetic demo data" in text and "Published values: X et al." in text
            assert "KFold, unshuffled" not in text.split("Methods:")[0] and "commit" not in text
        assert (
            f"\\caption[{latex_escape(table.short)}]" in texts["tex"]
            and f"tab:tlbench-{table.stem.replace('_', '-')}" in texts["tex"]
        )
    methods = render_methods(tables)
    for text in methods.values():
        assert "sample std (n = 3 folds)" in text and "KFold, unshuffled" in text and "StratifiedKFold" in text
        assert "IMAGENET1K" in text and "commit" not in text
    assert "\\ref{tab:tlbench-ph2-layers-three-class}" in methods["tex"] and "`ph2_layers_three_class`" in methods["md"]


def test_latex_sets_greek_parameters_dimensions_k_and_squares_in_math():
    from tlbench.reporting.render import markdown_escape, scientific

    assert latex_escape("one-class SVM (ν = 0.1, γ = shared), TCA μ = 1.0, α = 0.05") == (
        r"one-class SVM ($\nu$ = 0.1, $\gamma$ = shared), TCA $\mu$ = 1.0, $\alpha$ = 0.05")
    assert (
        latex_escape("RGB squashed to 224x224, 24x24-pixel cells")
        == r"RGB squashed to 224$\times$224, 24$\times$24-pixel cells"
    )
    assert latex_escape("the k = 1 nearest, rank k") == r"the $k = 1$ nearest, rank k"
    assert latex_escape("covariances over 4d², MMD²") == r"covariances over $4d^2$, MMD\textsuperscript{2}"
    assert latex_escape("efficientnet-lite0-57934424") == r"efficientnet-lite0-57934424"  # ids stay text
    assert markdown_escape("224x224") == "224×224"
    assert (scientific(7.712e12).tex, scientific(7.712e12).md) == (r"7.71$\times10^{12}$", "7.71×10¹²")
    assert (scientific(-1.49e-7).tex, scientific(-1.49e-7).md) == (r"$-$1.49$\times10^{-7}$", "-1.49×10⁻⁷")
