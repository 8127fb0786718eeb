"""Figures a paper can print as they are: a column (3.5 in) or the text (7.16 in) wide, no text under 7 pt
at that size, no text cut by the edge, series apart by colour, marker and line style."""
import struct

import numpy as np
import pytest

from tests.conftest import REPO
from tlbench.errors import TlbenchError
from tlbench.reporting.anomaly.figures import axis_scale
from tlbench.reporting.figures import (
    COLUMN_WIDTH,
    DPI,
    OKABE_ITO,
    TEXT_WIDTH,
    check_printable,
    draw_figures,
    new_figure,
    pyplot,
    save_figure,
    series_style,
)


def png_width(path) -> int:
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">I", header[16:20])[0]


def test_every_committed_figure_is_a_column_or_the_text_wide():
    pngs = sorted((REPO / "reports/figures").rglob("*.png"))
    assert len(pngs) >= 8
    widths = {round(COLUMN_WIDTH * DPI), round(TEXT_WIDTH * DPI)}
    assert {p.name: png_width(p) for p in pngs if png_width(p) not in widths} == {}


def test_a_figure_of_another_width_is_refused(tmp_path):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    ax.plot([0, 1], [0, 1])
    with pytest.raises(TlbenchError, match="5.2 in wide"):
        save_figure(fig, tmp_path / "wide")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_text_under_7_pt_is_refused():
    fig, axes = new_figure(COLUMN_WIDTH, 2.0)
    axes[0][0].plot([0, 1], [0, 1], label="a series")
    axes[0][0].legend(fontsize=6)
    with pytest.raises(TlbenchError, match="'a series' is 6 pt"):
        check_printable(fig, "small")
    pyplot().close(fig)


def test_a_title_cut_by_the_edge_is_refused():
    fig, axes = new_figure(COLUMN_WIDTH, 2.0)
    axes[0][0].plot([0, 1], [0, 1])
    fig.suptitle("Supermarket Produce, mean ± sample std over splits, every column of Table 7 (synthetic demo data)")
    with pytest.raises(TlbenchError, match="runs past the figure's edge"):
        check_printable(fig, "cut")
    pyplot().close(fig)


def test_save_figure_refuses_a_cut_title_and_writes_no_file(tmp_path):
    """save_figure checks the layout its PNG was drawn with (no third draw): a failing figure leaves no PNG,
    no PDF and no temporary file."""
    fig, axes = new_figure(COLUMN_WIDTH, 2.0)
    axes[0][0].plot([0, 1], [0, 1])
    fig.suptitle("Supermarket Produce, mean ± sample std over splits, every column of Table 7 (synthetic demo data)")
    with pytest.raises(TlbenchError, match="runs past the figure's edge"):
        save_figure(fig, tmp_path / "cut")
    assert not list(tmp_path.iterdir())
    fig, axes = new_figure(COLUMN_WIDTH, 2.0)
    axes[0][0].plot([0, 1], [0, 1])
    assert [p.name for p in save_figure(fig, tmp_path / "fine")] == ["fine.png", "fine.pdf"]


def test_tick_labels_outside_the_view_do_not_count():
    fig, axes = new_figure(COLUMN_WIDTH, 2.0)
    axes[0][0].plot([0.5, 0.6], [0.5, 0.6])
    axes[0][0].set_xlim(0.5, 0.6)  # matplotlib keeps (undrawn) labels of ticks beyond the limits
    check_printable(fig, "ticks")
    pyplot().close(fig)


def test_series_differ_in_colour_marker_and_line_style():
    styles = [series_style(i) for i in range(8)]
    for key in ("color", "marker", "linestyle"):
        assert len({str(s[key]) for s in styles}) == 8, key
    assert styles[0]["color"] == OKABE_ITO[0] == "#E69F00"  # Okabe & Ito (2008): orange first


def test_gaps_spanning_orders_of_magnitude_get_a_log_axis():
    assert axis_scale([0.4, 0.9, 1.5]) == ("linear", {})
    assert axis_scale([1e2, 1e5, 1e9]) == ("log", {})
    scale, options = axis_scale([-0.002, 0.0, 3.0, 400.0])
    assert scale == "symlog" and options["linthresh"] == pytest.approx(0.002)
    assert axis_scale(np.zeros(5)) == ("linear", {})


def _line_figure(out_stem, title):
    fig, axes = new_figure(COLUMN_WIDTH, 2.0)
    axes[0][0].plot([0, 1, 2], [0, 1, 4])
    fig.suptitle(title)
    save_figure(fig, out_stem)


def test_figures_drawn_on_every_core_are_the_sequential_bytes_and_errors_surface(tmp_path):
    titles = ["one", "two", "three"]
    draw_figures([(_line_figure, tmp_path / "pool" / t, t) for t in titles])
    for t in titles:
        _line_figure(tmp_path / "alone" / t, t)
        for ext in ("png", "pdf"):
            assert (tmp_path / "pool" / f"{t}.{ext}").read_bytes() == (tmp_path / "alone" / f"{t}.{ext}").read_bytes()
    cut = "Supermarket Produce, mean ± sample std over splits, every column of Table 7 (synthetic demo data)"
    with pytest.raises(TlbenchError, match="runs past the figure's edge"):
        draw_figures([(_line_figure, tmp_path / "bad" / "fine", "fine"), (_line_figure, tmp_path / "bad" / "cut", cut)])
    assert sorted(p.name for p in (tmp_path / "bad").iterdir()) == ["fine.pdf", "fine.png"]
