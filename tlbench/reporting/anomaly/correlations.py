"""Do domain gaps predict transfer? Rank correlations of each gap with the cross-domain EER and G_part."""
from __future__ import annotations

from ...methods.registry import MEASURES, SPACES
from ..captions import math_label
from ..render import Column, Table, join
from .common import pair_order


def rank_correlations(rows: list[dict], scenes: list[str], spaces: list[str]) -> list[dict]:
    """Per domain measure and space: Kendall tau and Spearman rho (n cross-domain pairs) between the
    measure and the cross-domain EER, and between the measure and G_part."""
    from ...methods.rank import rank_correlation
    from ...methods.uncertainty import rank_correlation_p, seed_for

    g_part = MEASURES.impl("g_part")
    out = []
    for m in (m for m in MEASURES if MEASURES[m].computed_from == "domain" and m in rows[0]):
        for space in spaces:
            cells = {(r["source"], r["target"]): r for r in rows if r["space"] == space}
            risk = {k: r["eer"] for k, r in cells.items()}
            pairs = [(s, t) for s, t in pair_order(scenes) if s != t]
            gap = [cells[p][m] for p in pairs]
            eer, gp = [risk[p] for p in pairs], [g_part(risk, *p) for p in pairs]
            (tau_eer, rho_eer), (tau_gpart, rho_gpart) = rank_correlation(gap, eer), rank_correlation(gap, gp)
            p_eer = rank_correlation_p(gap, eer, seed_for(rows[0]["seed"], "rank", m, space, "eer"))[0]
            p_gpart = rank_correlation_p(gap, gp, seed_for(rows[0]["seed"], "rank", m, space, "g_part"))[0]
            out.append({"measure": m, "space": space, "n": len(pairs), "tau_eer": tau_eer, "rho_eer": rho_eer,
                        "tau_gpart": tau_gpart, "rho_gpart": rho_gpart, "p_eer": p_eer, "p_gpart": p_gpart})
    return out


def correlation_table(correlations: list[dict], data: str = "") -> Table:
    """`data`: what the numbers were measured on (the demo's says "synthetic demo data")."""
    from ...methods.rank import p_value, permutation_text
    from ...methods.rank import signed as fmt
    from ...methods.uncertainty import EXACT_UP_TO

    rows = [[math_label(MEASURES.label(c["measure"])), SPACES.label(c["space"]), str(c["n"]), fmt(c["tau_eer"]),
             fmt(c["rho_eer"]), p_value(c["p_eer"]), fmt(c["tau_gpart"]), fmt(c["rho_gpart"]), p_value(c["p_gpart"])]
            for c in correlations]
    g_part = math_label(MEASURES["g_part"].label)
    caption = join(
        "Kendall's τ and Spearman's ρ over the n cross-domain pairs between each gap and the cross-domain EER, "
        "and between it and",
        g_part,
        "; positive: a larger gap goes with a worse transfer.",
        data,
    )
    methods = join("Gaps computed on source and target training frames, no labels.",
                   permutation_text(correlations[0]["n"], EXACT_UP_TO))
    columns = [
        Column("Measure", "l"),
        Column("Space", "l"),
        Column("n"),
        Column("τ", group="EER"),
        Column("ρ", group="EER"),
        Column("p", group="EER"),
        Column("τ", group=g_part),
        Column("ρ", group=g_part),
        Column("p", group=g_part),
    ]
    return Table("anomaly_transferability", "Do domain gaps predict transfer?", caption, columns, rows, wide=True,
                 methods=methods)
