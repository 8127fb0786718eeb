"""Caption pieces every experiment's tables share: which data, whose published values, formulas."""
from __future__ import annotations

import re

from .render import Rich, join, latex_escape

SYNTHETIC = "Synthetic demo data: not an estimate of real numbers"


def data_text(synthetic: bool, real: str) -> str:
    return SYNTHETIC if synthetic else f"Data: {real}"


def published(source: str, cite_key: str | None) -> Rich:
    """"Published values: <source>", with \\cite{key} when params set report.cite.<experiment>."""
    if cite_key:
        return Rich(
            rf"Published values: {latex_escape(source)}~\cite{{{cite_key}}}.",
            f"Published values: {source} [{cite_key}].",
        )
    return join(f"Published values: {source}.")


def math_label(label: str):
    """A registry label with LaTeX math ($G_\\mathrm{part}$) as Rich, its Markdown form without the markup."""
    if "$" not in label:
        return label
    md = re.sub(r"\\mathrm\{([^}]*)\}", r"\1", label).replace("$", "").replace("\\", "")
    return Rich(label, md)


BEYOND_MARK = "†"  # marks what is beyond the seed (anomaly.beyond, ph2.beyond) in tables and captions
ARROW = Rich(r"$\to$", "→")


def figure_suffix(synthetic: bool) -> str:
    """Appended to every figure title of a demo run, so that no plot of twin data passes for a real result."""
    return " (synthetic demo data)" if synthetic else ""
