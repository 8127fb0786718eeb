"""tlbench/reporting/ph2.py: seed Table 6 beside ours from the fold rows (golden tables), the aggregation, the
methods paragraph and the figure."""
import os

import pytest

from tests.unit.reporting.conftest import CTX, TESTS
from tlbench.reporting.ph2 import fold_frame, ph2_table_rows, plot_ph2_layers, render_ph2_tables
from tlbench.reporting.render import PM, Section, render_table


@pytest.mark.parametrize("kind", ["tex", "md"])
def test_tables_match_the_golden_files(records, kind):
    tables = {t.stem: render_table(t) for t in render_ph2_tables(records, CTX)}
    assert list(tables) == ["ph2_features", "ph2_layers_three_class", "ph2_layers_melanoma_vs_rest"]
    rendered = tables["ph2_layers_three_class"][kind] + tables["ph2_features"][kind]
    golden = TESTS / "golden" / f"ph2_layers.{kind}"
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


def test_figure_is_written_as_png_and_pdf(records, tmp_path):
    paths = plot_ph2_layers(records, tmp_path / "ph2_layers", " (synthetic demo data)")
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[1].read_bytes()[:4] == b"%PDF"
