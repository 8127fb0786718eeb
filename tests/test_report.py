import os
from pathlib import Path

import pytest

from tlbench.io import read_jsonl
from tlbench.records import Ph2Fold, typed_rows
from tlbench.reporting.ph2 import Ph2Context, fold_frame, ph2_table_rows, plot_ph2_layers, render_ph2_tables
from tlbench.reporting.render import PM, Section, latex_escape, render_table

HERE = Path(__file__).parent
CTX = Ph2Context(
    profile="demo",
    seed=0,
    synthetic=True,
    published="Published values: X et al.",
    preprocessing={"resnet50": "RGB squashed to 224x224; weights torchvision ResNet50_Weights.IMAGENET1K_V1"},
)


@pytest.fixture
def records():
    path = HERE / "fixtures" / "ph2_folds.jsonl"
    return typed_rows(Ph2Fold, read_jsonl(path), path, "ph2_evaluate")


@pytest.mark.parametrize("kind", ["tex", "md"])
def test_tables_match_the_golden_files(records, kind):
    tables = {t.stem: render_table(t) for t in render_ph2_tables(records, CTX)}
    assert list(tables) == ["ph2_features", "ph2_layers_three_class", "ph2_layers_melanoma_vs_rest"]
    rendered = tables["ph2_layers_three_class"][kind] + tables["ph2_features"][kind]
    golden = HERE / "golden" / f"ph2_layers.{kind}"
    if os.environ.get("TLBENCH_UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text(), f"run TLBENCH_UPDATE_GOLDEN=1 pytest {__file__} after a deliberate change"


def test_rows_aggregate_folds_and_put_the_published_values_beside_ours(records):

    rows, protocols = ph2_table_rows(fold_frame(records), "three_class")
    assert protocols == ["paper", "stratified"]
    sections = [r.text for r in rows if isinstance(r, Section)]
    assert sections == ["ResNet50", "EfficientNet-Lite0", "VGG-19"] or "ResNet50" in sections
    start = next(k for k, r in enumerate(rows) if isinstance(r, Section) and r.text == "ResNet50")
    r50 = {}
    for r in rows[start + 1:]:
        if isinstance(r, Section):
            break
        r50[int(r[0].replace("−", "-"))] = r
    assert sorted(r50) == [-7, -6, -5, -4, -3, -2]  # ours for -2/-4, the published for all six
    # layer, (paper: mean ± std, pooled), (stratified: mean ± std, pooled), published, delta
    assert r50[-2][1].mean == "90.0" and r50[-2][1].spread == "10.0" and r50[-2][2] == "88.8"  # std of 90, 80, 100
    assert r50[-4][1].bold is True  # the best
    # 3 folds: the corrected resampled t-test cannot tell -2 (90.0) from the best, so both are bold
    assert r50[-2][1].bold is True
    assert r50[-2][5] == PM("90.0", "7.75")
    assert r50[-4][6] == "+1.8"  # 93.33 - 91.5, one decimal
    assert r50[-6][1] is None and r50[-6][6] is None


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


def test_figure_is_written_as_png_and_pdf(records, tmp_path):
    paths = plot_ph2_layers(records, tmp_path / "ph2_layers", " (synthetic demo data)")
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[1].read_bytes()[:4] == b"%PDF"
