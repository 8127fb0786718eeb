"""What the anomaly report's tables and figures share: scene labels, the seed's pair order, number formats,
the published values and the EER tables the CDFG measures are computed from."""
from __future__ import annotations

from ...data.registry import SCENES
from ...methods import cdfg  # noqa: F401 (implements g_part and g_comp)
from ..paper_values import SPACES as PAPER_SPACES
from ..paper_values import (
    TABLE1,
)
from ..render import scientific

PUBLISHED = {"eer": TABLE1}  # measure -> {(source, target): values per PAPER_SPACES}


MAX_EER = 100.0


GREEK = {"gamma": "γ", "nu": "ν", "mu": "μ"}  # parameter names as the papers write them


def label(scene: str) -> str:
    return SCENES.label(scene)


def fmt_value(x) -> str:
    return "" if x is None else f"{x:.2f}"


def published_value(table: dict, space: str, *keys: tuple):
    """The published value of the first key the table has, for one space (None when absent)."""
    values = next((table[k] for k in keys if k in table), None)
    return None if values is None or space not in PAPER_SPACES else values[PAPER_SPACES.index(space)]


def pair_order(scenes: list[str]) -> list[tuple[str, str]]:
    """The seed's order: by target, in-domain first."""
    return [(s, t) for t in scenes for s in [t] + [x for x in scenes if x != t]]


def gap_formatter(values):
    """One format for a whole gap table: three decimals while every non-zero gap lies in [0.01, 1000), else
    every non-zero gap as m.mm × 10^e (gaps span orders of magnitude between spaces)."""
    nonzero = [abs(v) for v in values if v]
    if not nonzero or (min(nonzero) >= 0.01 and max(nonzero) < 1000):
        return lambda x: "" if x is None else f"{x:.3f}"
    return lambda x: "" if x is None else "0" if x == 0 else scientific(x)


def risks(rows: list[dict], scenes: list[str], spaces: list[str]) -> dict[str, dict[tuple, float]]:
    eer = {(r["source"], r["target"], r["space"]): r["eer"] for r in rows}
    return {space: {(s, t): eer[(s, t, space)] for s in scenes for t in scenes} for space in spaces}
