"""Seed Tables 1-5 beside ours (one table per score and domain measure, partial and complete CDFG), the EER
intervals, and the consistency check of the seed's own tables. Measures and spaces come from their registries,
so a newly registered measure gets its own table without an edit here."""
from __future__ import annotations

from itertools import combinations

from ...methods.registry import DETECTORS, MEASURES, SPACES
from ...models.specs import BACKBONES
from ..captions import math_label
from ..paper_values import SPACES as PAPER_SPACES
from ..paper_values import (
    TABLE1,
    TABLE_COMPLETE,
    TABLE_COMPLETE_NUMBER,
    TABLE_PARTIAL,
    TABLE_PARTIAL_NUMBER,
)
from ..render import Column, Rich, Table, join
from .common import GREEK, PUBLISHED, fmt_value, gap_formatter, label, pair_order, published_value, risks


def _decimals(value: float) -> int:
    text = repr(float(value))
    return len(text.split(".")[1]) if "." in text else 0


def seed_consistency() -> list[dict]:
    """Derive Tables 2-5 from the seed's own Table 1 with our CDFG code and compare at the seed's
    precision: |derived - published| <= 0.01 (inputs rounded to 2 decimals) + half a unit of the
    published value's last decimal. Returns one row per cell, `match` False for suspected errata."""
    out = []
    for kind, table, numbers, fn in (("partial", TABLE_PARTIAL, TABLE_PARTIAL_NUMBER, MEASURES.impl("g_part")),
                                     ("complete", TABLE_COMPLETE, TABLE_COMPLETE_NUMBER, MEASURES.impl("g_comp"))):
        for pair, values in table.items():
            for i, space in enumerate(PAPER_SPACES):
                risk = {k: v[i] for k, v in TABLE1.items()}
                derived = fn(risk, *pair)
                tolerance = 0.01 + 0.5 * 10 ** -_decimals(values[i])
                out.append({"table": numbers[pair], "kind": kind, "pair": pair, "space": space,
                            "published": values[i], "derived": round(derived, 4),
                            "match": abs(derived - values[i]) <= tolerance})
    return out


def _space_columns(spaces: list[str], with_published: bool) -> list[Column]:
    if not with_published:
        return [Column(SPACES.label(sp)) for sp in spaces]
    return [
        c for sp in spaces for c in (Column("ours", group=SPACES.label(sp)), Column("publ.", group=SPACES.label(sp)))
    ]


def measure_rows(rows: list[dict], scenes: list[str], spaces: list[str], measure: str) -> list[list[str]]:
    value = {(r["source"], r["target"], r["space"]): r[measure] for r in rows}
    published = PUBLISHED.get(measure)
    fmt = gap_formatter(list(value.values())) if MEASURES[measure].computed_from == "domain" else fmt_value
    if published is None:
        return [[label(s), label(t)] + [fmt(value[(s, t, sp)]) for sp in spaces] for s, t in pair_order(scenes)]
    return [[label(s), label(t)] + [c for sp in spaces for c in
            (fmt(value[(s, t, sp)]), fmt_value(published_value(published, sp, (s, t))))]
            for s, t in pair_order(scenes)]


def cdfg_rows(rows: list[dict], scenes: list[str], spaces: list[str]) -> dict[str, list[list[str]]]:
    risk = risks(rows, scenes, spaces)
    g_part, g_comp = MEASURES.impl("g_part"), MEASURES.impl("g_comp")
    partial = [[label(s), label(t)] + [c for sp in spaces for c in
               (fmt_value(g_part(risk[sp], s, t)), fmt_value(published_value(TABLE_PARTIAL, sp, (s, t))))]
               for s, t in pair_order(scenes) if s != t]
    complete = [[label(a), label(b)] + [c for sp in spaces for c in
                (fmt_value(g_comp(risk[sp], a, b)), fmt_value(published_value(TABLE_COMPLETE, sp, (a, b), (b, a))))]
                for a, b in combinations(scenes, 2)]
    return {"g_part": partial, "g_comp": complete}


def protocol_text(rows: list[dict]) -> str:
    first = rows[0]
    det, tca = first["detector"], first["tca"]
    smoothing = "" if first["smoothing"] <= 1 else f", scores smoothed over {first['smoothing']} frames"
    gammas = {r["space"]: r.get("gamma") for r in rows}
    gamma = ("one RBF width per space from all scenes' training frames pooled (" +
             ", ".join(f"{SPACES.label(s)} {g:.3g}" for s, g in gammas.items() if g is not None) + "); "
             if det.get("gamma") == "shared" else "")
    solvers = sorted({r["tca_solver"] for r in rows if r.get("tca_solver")})
    tca_text = (
        f"TCA: {tca['n_components']} components, {tca['kernel']} kernel, μ = {tca['mu']}, "
        f"{'unit-variance' if tca.get('normalise', 'pan') == 'pan' else 'B-orthonormal'} components"
        f"{' (Pan et al.)' if tca.get('normalise', 'pan') == 'pan' else ''}"
        f"{', ' + '/'.join(solvers) + ' solver' if solvers else ''}, fitted on source and target training frames "
        f"(at most {tca['max_samples_per_domain']} per domain, no target labels)."
    )
    return (
        f"Detector: {DETECTORS.label(det['kind'])} "
        f"({', '.join(f'{GREEK.get(k, k)} = {v}' for k, v in det.items() if k != 'kind')}; {gamma}"
        f"the same for every domain), trained on the source's normal training frames; EER at frame level over all "
        f"test clips of the target{smoothing}. Spaces: Cross-feature: z-scored features (source statistics); PCA: "
        f"{first['pca_components']} components fitted on the source (exact SVD); " + tca_text
    )


def table_spec(measure: str) -> tuple[str, str, object, object]:
    """(file stem, published table, short caption, formula or note) of a measure's table."""
    if measure == "eer":
        return ("anomaly_eer", "Table 1", "Anomaly detection across domains: EER (%), ours and published",
                "Lower is better.")
    if measure == "g_part":
        return (
            "anomaly_cdfg_partial",
            "Tables 2 and 4",
            join("Partial CDFG measure", math_label(MEASURES["g_part"].label), "(EER points)"),
            Rich(
                r"$G_\mathrm{part}(A \to B) = |\mathrm{EER}(A \to A) - \mathrm{EER}(A \to B)|$.",
                "G_part(A → B) = |EER(A → A) − EER(A → B)|.",
            ),
        )
    if measure == "g_comp":
        return (
            "anomaly_cdfg_complete",
            "Tables 3 and 5",
            join("Complete CDFG measure", math_label(MEASURES["g_comp"].label), "(EER points)"),
            Rich(
                r"$G_\mathrm{comp}(A, B) = \bigl(G_\mathrm{part}(A \to B) + G_\mathrm{part}(B \to A)\bigr) / 2$.",
                "G_comp(A, B) = (G_part(A → B) + G_part(B → A)) / 2.",
            ),
        )
    entry = MEASURES[measure]
    if entry.computed_from == "domain":
        return (
            f"anomaly_{measure}",
            "",
            join("Domain gap", math_label(entry.label), "between source and target training frames"),
            f"{entry.help[:1].upper() + entry.help[1:]}; no target labels; lower means closer domains.",
        )
    return (f"anomaly_{measure}", "", join("Anomaly detection across domains:", math_label(entry.label)),
            f"{entry.direction.capitalize()} is better.")


def build_tables(rows: list[dict], scenes: list[str], spaces: list[str], context: dict) -> list[Table]:
    """A table per score and domain measure in the rows, then the two CDFG tables."""
    first = rows[0]
    features = (
        f"Frame features: "
        f"{BACKBONES.label(first['backbone']) if first['backbone'] in BACKBONES else first['backbone']} "
        f"layer {first['layer']} ({first['node']}); {context['preprocessing']}. Profile {context['profile']}, "
        f"random seed {first['seed']}."
    )
    measures = [m for m in MEASURES if m in first and MEASURES[m].computed_from in ("scores", "domain")]
    bodies = {m: measure_rows(rows, scenes, spaces, m) for m in measures} | cdfg_rows(rows, scenes, spaces)
    tables = []
    for measure, body in bodies.items():
        stem, published_ref, short, note = table_spec(measure)
        with_published = measure in PUBLISHED or MEASURES[measure].computed_from == "cdfg"
        keys = (
            [Column("Source", "l"), Column("Target", "l")]
            if measure != "g_comp"
            else [Column("Dataset A", "l"), Column("Dataset B", "l")]
        )
        where = context["published"] if with_published else ""
        tables.append(
            Table(
                stem,
                short,
                join(note, context["data"] + ".", where),
                keys + _space_columns(spaces, with_published),
                body,
                wide=True,
                methods=join(protocol_text(rows), features),
            )
        )
    if all("eer_ci" in r for r in rows):
        tables.insert(
            1, interval_table(rows, scenes, spaces, context["data"] + ".", join(protocol_text(rows), features))
        )
    return tables


def interval_rows(rows: list[dict], scenes: list[str], spaces: list[str]) -> list[list[str]]:
    cell = {(r["source"], r["target"], r["space"]): r for r in rows}
    return [[label(s), label(t)] + [f"{cell[(s, t, sp)]['eer']:.1f} [{cell[(s, t, sp)]['eer_ci'][0]:.1f}, "
                                    f"{cell[(s, t, sp)]['eer_ci'][1]:.1f}]" for sp in spaces]
            for s, t in pair_order(scenes)]


def interval_text(rows: list[dict]) -> str:
    u = rows[0]["uncertainty"]
    units = {(r["target"], r["eer_ci_units"]) for r in rows}
    return (
        f"EER (%) with its {u['level']:.0%} percentile bootstrap interval: {u['resamples']} seeded draws, with "
        f"replacement, of the target's test clips, or of contiguous blocks of frames where a scene has fewer than "
        f"{u['min_units']} clips (units resampled: " + ", ".join(f"{label(t)} {n}" for t, n in sorted(units)) + ")."
    )


def interval_table(rows: list[dict], scenes: list[str], spaces: list[str], data: str, protocol) -> Table:
    level = rows[0]["uncertainty"]["level"]
    return Table("anomaly_eer_ci", "Anomaly detection across domains: EER (%) and its bootstrap interval",
                 join(f"{level:.0%} percentile bootstrap over the target's test clips. Lower is better.", data),
                 [Column("Source", "l"), Column("Target", "l")] + [Column(SPACES.label(sp)) for sp in spaces],
                 interval_rows(rows, scenes, spaces), wide=True, methods=join(interval_text(rows), protocol))
