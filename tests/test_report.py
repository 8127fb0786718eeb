import os
from pathlib import Path

import pytest

from tlbench.io import read_jsonl
from tlbench.reporting.ph2 import Ph2Context, ph2_table_rows, plot_ph2_layers, render_ph2_tables
from tlbench.reporting.render import latex_escape

HERE = Path(__file__).parent
CTX = Ph2Context(profile="demo", seed=0, commit="0123456789", synthetic=True,
                 preprocessing={"resnet50": "RGB squashed to 224x224; weights torchvision ResNet50_Weights.IMAGENET1K_V1"})


@pytest.fixture
def records():
    return read_jsonl(HERE / "fixtures" / "ph2_folds.jsonl")


@pytest.mark.parametrize("kind", ["tex", "md"])
def test_tables_match_the_golden_files(records, kind):
    tex, md = render_ph2_tables(records, CTX)
    rendered = {"tex": tex, "md": md}[kind]
    golden = HERE / "golden" / f"ph2_layers.{kind}"
    if os.environ.get("TLBENCH_UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text(), f"run TLBENCH_UPDATE_GOLDEN=1 pytest {__file__} after a deliberate change"


def test_rows_aggregate_folds_and_put_the_seed_beside_ours(records):
    import pandas as pd

    rows, protocols = ph2_table_rows(pd.DataFrame(records), "three_class")
    assert protocols == ["paper", "stratified"]
    r50 = {r["layer"]: r for r in rows if r["backbone"] == "ResNet50"}
    assert sorted(r50) == [-7, -6, -5, -4, -3, -2]  # ours for -2/-4, the seed's for all six
    assert r50[-2]["ours"]["paper"] == {"mean": "90.00", "std": "8.16", "best": False, "pooled": "88.8"}
    assert r50[-4]["ours"]["paper"]["best"] is True
    assert r50[-2]["seed"] == {"mean": "90.0", "std": "7.75"}
    assert r50[-4]["delta"] == "+1.83"  # 93.33 - 91.5
    assert r50[-6]["ours"]["paper"] is None and r50[-6]["delta"] == ""
    lite = [r for r in rows if r["backbone"] == "EfficientNet-Lite0"]
    assert len(lite) == 1 and lite[0]["seed"] is None


def test_latex_specials_are_escaped():
    assert latex_escape("MMD² ± 1") == r"MMD\textsuperscript{2} $\pm$ 1"
    assert latex_escape("|EER(A->A)|") == r"\textbar{}EER(A-\textgreater{}A)\textbar{}"  # not ¿ and — in T1/OT1
    assert latex_escape("a_b & 50% #1 {x} ~ ^ \\") == r"a\_b \& 50\% \#1 \{x\} \textasciitilde{} \textasciicircum{} \textbackslash{}"


def test_captions_say_which_protocol_produced_the_table(records):
    tex, md = render_ph2_tables(records, CTX)
    for text in (tex, md):
        assert "3-fold CV" in text and "population std" in text
        assert "KFold, unshuffled" in text and "StratifiedKFold" in text
        assert "0123456789" in text and "IMAGENET1K" in text


def test_figure_is_written_as_png_and_pdf(records, tmp_path):
    paths = plot_ph2_layers(records, tmp_path / "ph2_layers")
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[1].read_bytes()[:4] == b"%PDF"
