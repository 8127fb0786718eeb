"""The Cross-Domain Feature Space Generalization measures (CDFG): partial and complete, from a table of
risks (EERs in %) of one detector trained on each source and tested on each target."""
from __future__ import annotations

from .registry import MEASURES


def partial_generalization(risk: dict[tuple[str, str], float], source: str, target: str) -> float:
    """G_part(source -> target) = |R_source(f^source) - R_target(f^source)|, risks in %."""
    return abs(risk[(source, source)] - risk[(source, target)])


def complete_generalization(risk: dict[tuple[str, str], float], a: str, b: str) -> float:
    """G_comp(A, B) = (G_part(A -> B) + G_part(B -> A)) / 2."""
    return (partial_generalization(risk, a, b) + partial_generalization(risk, b, a)) / 2


MEASURES.implement("g_part", partial_generalization)
MEASURES.implement("g_comp", complete_generalization)
