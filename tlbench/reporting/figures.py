"""Figures: PNG and PDF, written atomically and without timestamps."""
from __future__ import annotations

from pathlib import Path


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    # TrueType (Type 42) fonts in PDFs: IEEE/ACM checkers reject matplotlib's default Type 3
    matplotlib.rcParams.update({"pdf.fonttype": 42, "ps.fonttype": 42, "svg.hashsalt": "tlbench"})
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, out_stem: Path) -> list[Path]:
    """PNG and PDF, written atomically, without timestamps so that reruns give the same bytes."""
    import matplotlib.pyplot as plt

    from ..io import atomic_path

    out_stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for ext, meta in (("png", {"Software": None}), ("pdf", {"CreationDate": None, "Producer": None})):
        path = out_stem.with_suffix(f".{ext}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext, dpi=120, metadata=meta)
        written.append(path)
    plt.close(fig)
    return written
