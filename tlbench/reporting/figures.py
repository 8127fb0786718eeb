"""Figures: sized for a paper's column or text width, readable there, PNG and PDF written atomically
and without timestamps.

A figure is drawn at the size it is printed (`COLUMN_WIDTH` or `TEXT_WIDTH`, two-column IEEE/ACM), so its
fonts are their real point sizes; `save_figure` refuses a figure of another width, text under
`MIN_FONT_PT` or text cut by the figure's edge. Series take Okabe-Ito colours together with distinct
markers and line styles, so that they stay apart in greyscale and for colour-blind readers."""
from __future__ import annotations

from pathlib import Path

from ..errors import TlbenchError

COLUMN_WIDTH = 3.5  # inches: one column of a two-column paper (IEEE: 3.5 in; ACM: 3.33 in fits under it)
TEXT_WIDTH = 7.16  # inches: both columns (IEEE \textwidth)
MIN_FONT_PT = 7.0  # the smallest text journals accept at print size
DPI = 120

# Okabe & Ito (2008), "Color universal design": distinguishable with every common colour-vision deficiency;
# yellow last (weak on white)
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#000000", "#F0E442")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 2)), (0, (6, 2)), (0, (3, 1, 1, 1)))

RC = {"pdf.fonttype": 42, "ps.fonttype": 42,  # TrueType (Type 42) fonts in PDFs: IEEE/ACM reject Type 3
      "svg.hashsalt": "tlbench", "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8,
      "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7, "legend.title_fontsize": 7,
      "figure.titlesize": 8, "lines.linewidth": 1.0, "lines.markersize": 3.5, "axes.linewidth": 0.6,
      "grid.linewidth": 0.4, "legend.frameon": False, "savefig.dpi": DPI}


def series_style(i: int) -> dict:
    """Colour, marker and line style of the i-th series: all three differ between any two of the first eight."""
    n = len(OKABE_ITO)
    return {"color": OKABE_ITO[i % n], "marker": MARKERS[i % n], "linestyle": LINESTYLES[i % n]}


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed), with the paper style."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(RC)
    import matplotlib.pyplot as plt

    return plt


def new_figure(width: float, height: float, nrows: int = 1, ncols: int = 1, **kwargs):
    """`plt.subplots` at a printed width (COLUMN_WIDTH or TEXT_WIDTH), constrained layout, axes as a 2-D array."""
    if width not in (COLUMN_WIDTH, TEXT_WIDTH):
        raise TlbenchError(
            f"a figure is {width} in wide: use COLUMN_WIDTH ({COLUMN_WIDTH}) or TEXT_WIDTH ({TEXT_WIDTH})"
        )
    return pyplot().subplots(nrows, ncols, figsize=(width, height), dpi=DPI, squeeze=False, layout="constrained",
                             **kwargs)


def _ticklabels(axis) -> list:
    """The tick labels drawn: matplotlib keeps labels of ticks outside the view limits, undrawn."""
    lo, hi = sorted(axis.get_view_interval())
    pad = 1e-9 * max(abs(lo), abs(hi), 1.0)
    ticks = axis.get_major_ticks() + axis.get_minor_ticks()
    return [label for t in ticks if lo - pad <= t.get_loc() <= hi + pad for label in (t.label1, t.label2)]


def drawn_texts(fig) -> list:
    """Every text a reader sees: titles, axis and tick labels, annotations, legends, the figure's own texts."""
    texts = list(fig.texts) + ([fig._suptitle] if fig._suptitle is not None else [])
    legends = list(fig.legends)
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        texts += _ticklabels(ax.xaxis) + _ticklabels(ax.yaxis)
        legends += [ax.get_legend()] if ax.get_legend() is not None else []
    for legend in legends:
        texts += list(legend.get_texts()) + [legend.get_title()]
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def check_width(fig, name: str) -> None:
    width = round(float(fig.get_size_inches()[0]), 2)
    if width not in (COLUMN_WIDTH, TEXT_WIDTH):
        raise TlbenchError(f"figure {name} is {width} in wide: draw it at COLUMN_WIDTH ({COLUMN_WIDTH} in) or "
                           f"TEXT_WIDTH ({TEXT_WIDTH} in), tlbench/reporting/figures.py")


def check_printable(fig, name: str, drawn: bool = False) -> None:
    """Raise unless the figure is a column or the text wide, every text is >= MIN_FONT_PT and inside the figure
    (`drawn`: the figure was just drawn, e.g. saved, so its constrained layout has placed every text)."""
    check_width(fig, name)
    renderer = fig.canvas.get_renderer()
    if not drawn:
        fig.draw(renderer)
    box = fig.bbox
    for text in drawn_texts(fig):
        if text.get_fontsize() < MIN_FONT_PT - 1e-6:
            raise TlbenchError(f"figure {name}: text {text.get_text()!r} is {text.get_fontsize():g} pt, under "
                               f"{MIN_FONT_PT:g} pt at print size")
        extent = text.get_window_extent(renderer)
        if extent.x0 < box.x0 - 1 or extent.x1 > box.x1 + 1 or extent.y0 < box.y0 - 1 or extent.y1 > box.y1 + 1:
            raise TlbenchError(f"figure {name}: text {text.get_text()!r} runs past the figure's edge: shorten it")


def save_figure(fig, out_stem: Path) -> list[Path]:
    """PNG and PDF, written atomically, without timestamps so that reruns give the same bytes; a figure that
    fails `check_printable` writes neither (the check reads the PNG's layout instead of drawing a third time)."""
    import matplotlib.pyplot as plt

    from ..io import atomic_path

    out_stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        check_width(fig, out_stem.name)
        for ext, meta in (("png", {"Software": None}), ("pdf", {"CreationDate": None, "Producer": None})):
            path = out_stem.with_suffix(f".{ext}")
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=ext, dpi=DPI, metadata=meta)
                if ext == "png":  # the PNG's draw placed every text: checked before any file is kept
                    check_printable(fig, out_stem.name, drawn=True)
            written.append(path)
    finally:
        plt.close(fig)
    return written


def draw_figures(jobs: list[tuple]) -> None:
    """Run independent figure jobs, (function, *args) each drawing and saving its own figure, on every core:
    matplotlib draws on one core, and anomaly_report's nine figures (PNG and PDF each) were most of its time.
    Each job writes its files atomically, so the bytes are those of a sequential run; the first error is
    raised here, after the other jobs finish."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from ..processes import worker_init

    workers = min(len(jobs), os.cpu_count() or 1)
    if workers <= 1:
        for function, *args in jobs:
            function(*args)
        return
    with ProcessPoolExecutor(workers, initializer=worker_init()) as pool:
        futures = [pool.submit(function, *args) for function, *args in jobs]
    for future in futures:
        future.result()


def outside_legend(fig, axes, ncol: int, **kwargs):
    """One legend for the figure, below its axes (never over the data): the handles of `axes`, deduplicated."""
    handles, labels = {}, []
    for ax in axes:
        for h, l in zip(*ax.get_legend_handles_labels()):
            if l not in handles:
                handles[l] = h
                labels.append(l)
    return fig.legend([handles[l] for l in labels], labels, loc="outside lower center", ncol=ncol, **kwargs)
