"""The anomaly metrics (reports/metrics/anomaly.json): every measure of every pair and space, both CDFG
measures, for the seed's detector and anomaly.beyond's variants, and the selected settings' EER."""
from __future__ import annotations

from itertools import combinations

from ...methods.registry import MEASURES
from ..outputs import INTERVAL_BOUNDS
from .common import risks


def cdfg_metrics(prefix: str, risk: dict[str, dict], scenes: list[str]) -> dict[str, float]:
    """<prefix>/<source>-><target>/<space>/g_part and <prefix>/<a>,<b>/<space>/g_comp from {space: EER table}."""
    from itertools import permutations

    g_part, g_comp = MEASURES.impl("g_part"), MEASURES.impl("g_comp")
    out = {}
    for sp, table in risk.items():
        out |= {f"{prefix}/{s}->{t}/{sp}/g_part": round(g_part(table, s, t), 6) for s, t in permutations(scenes, 2)}
        out |= {f"{prefix}/{a},{b}/{sp}/g_comp": round(g_comp(table, a, b), 6) for a, b in combinations(scenes, 2)}
    return out


def _covers(rows: list[dict], scenes: list[str]) -> bool:
    return bool(rows) and {(s, t) for s in scenes for t in scenes} <= {(r["source"], r["target"]) for r in rows}


def metrics(records, params) -> dict[str, float]:
    """Every score and domain measure of every pair and space, both CDFG measures, and the same for
    anomaly.beyond's variants (anomaly/beyond/<variant>[/smoothed]/...)."""
    from .beyond import variant_risks
    from .selection import selection_metrics

    scenes, rows, beyond = params.model.anomaly.scenes, records.rows, records.beyond
    out = {f"anomaly/{r['source']}->{r['target']}/{r['space']}/{m}": r[m]
           for r in rows for m in MEASURES if MEASURES[m].computed_from in ("scores", "domain") and m in r}
    out |= {f"anomaly/{r['source']}->{r['target']}/{r['space']}/eer/{bound}": value
            for r in rows if "eer_ci" in r for bound, value in zip(INTERVAL_BOUNDS, r["eer_ci"])}
    if _covers(rows, scenes):
        out |= cdfg_metrics("anomaly", risks(rows, scenes, sorted({r["space"] for r in rows})), scenes)
    for r in beyond:
        for where, values in ((r["variant"], r), (f"{r['variant']}/smoothed", r["smoothed"])):
            out |= {f"anomaly/beyond/{where}/{r['source']}->{r['target']}/{r['space']}/{m}": values[m]
                    for m in MEASURES if MEASURES[m].computed_from == "scores" and m in values}
    if _covers(beyond, scenes):
        for variant, risk in variant_risks(beyond, sorted({r["space"] for r in beyond})).items():
            out |= cdfg_metrics(f"anomaly/beyond/{variant}", risk, scenes)
    if beyond:
        out |= selection_metrics(records.selection)
    return out
