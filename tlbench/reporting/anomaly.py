"""Seed Tables 1-5 (one table per score measure, partial and complete CDFG), the consistency check of
the seed's own tables, heatmaps and ROC/DET curves. Measures and spaces come from their registries,
so a newly registered measure gets its own table without an edit here."""
from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np

from ..data.registry import SCENES
from ..io import load_npy
from ..methods import cdfg  # noqa: F401 (implements g_part and g_comp)
from ..methods.registry import ANOMALY_VARIANTS, DETECTORS, MEASURES, SPACES
from ..models.specs import BACKBONES
from .captions import BEYOND_MARK, math_label
from .outputs import INTERVAL_BOUNDS
from .experiments import EXPERIMENTS
from .figures import TEXT_WIDTH, new_figure, outside_legend, save_figure, series_style
from .paper_values import ANOMALY_SOURCE, TABLE1, TABLE_COMPLETE, TABLE_COMPLETE_NUMBER, TABLE_PARTIAL, TABLE_PARTIAL_NUMBER
from .paper_values import SPACES as PAPER_SPACES
from .render import Column, Rich, Section, Table, join, render_pair, scientific, table_ref

PUBLISHED = {"eer": TABLE1}  # measure -> {(source, target): values per PAPER_SPACES}
MAX_EER = 100.0


def label(scene: str) -> str:
    return SCENES.label(scene)


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


def _fmt(x) -> str:
    return "" if x is None else f"{x:.2f}"


def _published(table: dict, space: str, *keys: tuple):
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


def _space_columns(spaces: list[str], with_published: bool) -> list[Column]:
    if not with_published:
        return [Column(SPACES.label(sp)) for sp in spaces]
    return [c for sp in spaces for c in (Column("ours", group=SPACES.label(sp)), Column("publ.", group=SPACES.label(sp)))]


def measure_rows(rows: list[dict], scenes: list[str], spaces: list[str], measure: str) -> list[list[str]]:
    value = {(r["source"], r["target"], r["space"]): r[measure] for r in rows}
    published = PUBLISHED.get(measure)
    fmt = gap_formatter(list(value.values())) if MEASURES[measure].kind == "domain" else _fmt
    if published is None:
        return [[label(s), label(t)] + [fmt(value[(s, t, sp)]) for sp in spaces] for s, t in pair_order(scenes)]
    return [[label(s), label(t)] + [c for sp in spaces for c in
            (fmt(value[(s, t, sp)]), _fmt(_published(published, sp, (s, t))))]
            for s, t in pair_order(scenes)]


def risks(rows: list[dict], scenes: list[str], spaces: list[str]) -> dict[str, dict[tuple, float]]:
    eer = {(r["source"], r["target"], r["space"]): r["eer"] for r in rows}
    return {space: {(s, t): eer[(s, t, space)] for s in scenes for t in scenes} for space in spaces}


def cdfg_rows(rows: list[dict], scenes: list[str], spaces: list[str]) -> dict[str, list[list[str]]]:
    risk = risks(rows, scenes, spaces)
    g_part, g_comp = MEASURES.impl("g_part"), MEASURES.impl("g_comp")
    partial = [[label(s), label(t)] + [c for sp in spaces for c in
               (_fmt(g_part(risk[sp], s, t)), _fmt(_published(TABLE_PARTIAL, sp, (s, t))))]
               for s, t in pair_order(scenes) if s != t]
    complete = [[label(a), label(b)] + [c for sp in spaces for c in
                (_fmt(g_comp(risk[sp], a, b)), _fmt(_published(TABLE_COMPLETE, sp, (a, b), (b, a))))]
                for a, b in combinations(scenes, 2)]
    return {"g_part": partial, "g_comp": complete}


GREEK = {"gamma": "γ", "nu": "ν", "mu": "μ"}  # parameter names as the papers write them


def protocol_text(rows: list[dict]) -> str:
    first = rows[0]
    det, tca = first["detector"], first["tca"]
    smoothing = "" if first["smoothing"] <= 1 else f", scores smoothed over {first['smoothing']} frames"
    gammas = {r["space"]: r.get("gamma") for r in rows}
    gamma = ("one RBF width per space from all scenes' training frames pooled (" +
             ", ".join(f"{SPACES.label(s)} {g:.3g}" for s, g in gammas.items() if g is not None) + "); "
             if det.get("gamma") == "shared" else "")
    solvers = sorted({r["tca_solver"] for r in rows if r.get("tca_solver")})
    tca_text = (f"TCA: {tca['n_components']} components, {tca['kernel']} kernel, μ = {tca['mu']}, "
                f"{'unit-variance components (Pan et al.)' if tca.get('normalise', 'pan') == 'pan' else 'B-orthonormal components'}"
                f"{', ' + '/'.join(solvers) + ' solver' if solvers else ''}, fitted on source and target training frames "
                f"(at most {tca['max_samples_per_domain']} per domain, no target labels).")
    return (
        f"Detector: {DETECTORS.label(det['kind'])} ({', '.join(f'{GREEK.get(k, k)} = {v}' for k, v in det.items() if k != 'kind')}; {gamma}"
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
        return ("anomaly_cdfg_partial", "Tables 2 and 4", join("Partial CDFG measure", math_label(MEASURES["g_part"].label),
                "(EER points)"), Rich(r"$G_\mathrm{part}(A \to B) = |\mathrm{EER}(A \to A) - \mathrm{EER}(A \to B)|$.",
                                      "G_part(A → B) = |EER(A → A) − EER(A → B)|."))
    if measure == "g_comp":
        return ("anomaly_cdfg_complete", "Tables 3 and 5", join("Complete CDFG measure", math_label(MEASURES["g_comp"].label),
                "(EER points)"), Rich(r"$G_\mathrm{comp}(A, B) = \bigl(G_\mathrm{part}(A \to B) + G_\mathrm{part}(B \to A)\bigr) / 2$.",
                                      "G_comp(A, B) = (G_part(A → B) + G_part(B → A)) / 2."))
    entry = MEASURES[measure]
    if entry.kind == "domain":
        return (f"anomaly_{measure}", "", join("Domain gap", math_label(entry.label), "between source and target training frames"),
                f"{entry.help[:1].upper() + entry.help[1:]}; no target labels; lower means closer domains.")
    return (f"anomaly_{measure}", "", join("Anomaly detection across domains:", math_label(entry.label)),
            f"{entry.direction.capitalize()} is better.")


def variants_of(beyond: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["variant"] for r in beyond))


def variant_risks(beyond: list[dict], spaces: list[str], smoothed: bool = False) -> dict[str, dict[str, dict]]:
    """{variant: {space: {(source, target): EER}}}, before or after smoothing."""
    return {v: {sp: {(r["source"], r["target"]): r["smoothed"]["eer"] if smoothed else r["eer"]
                     for r in beyond if r["variant"] == v and r["space"] == sp} for sp in spaces}
            for v in variants_of(beyond)}


def _bank_text(knn: dict) -> str:
    share = isinstance(knn["bank_size"], float)
    size = f"{knn['bank_size']:.0%} of the training patches" if share else f"{knn['bank_size']:,} patches"
    if knn["bank"] != "coreset":
        return f"random, {size}"
    return f"greedy coreset, {size}" + (f", {knn['projection_dim']}-d projection" if knn["projection_dim"] else "")


def _knn_text(knn: dict) -> str:
    if knn["position"] == "aware":
        around = f" and the {(2 * knn['neighbourhood'] + 1) ** 2 - 1} around it" if knn["neighbourhood"] else ""
        where = f"each cell against the same cell{around} of the normal frames"
    else:
        where = f"every cell against one bank of normal patches ({_bank_text(knn)})"
    frame = "its worst cell" if knn["aggregate"] == "max" else f"the mean of its {knn['top_cells']} worst cells"
    return f"{where}, distance to the k = {knn['k']} nearest; a frame scores as {frame}"


def beyond_text(settings: dict) -> str:
    """The protocol of the variants, for the captions."""
    b, parts = settings["beyond"], []
    if "patch_layer" in settings:
        layer = settings["patch_layer"]
        channels, cells = layer["shape"][0], layer["n_features"] // layer["shape"][0]
        parts.append(f"{ANOMALY_VARIANTS.label('patch_knn')}: the {cells} cells of layer {layer['node']} "
                     f"({channels} values each), {_knn_text(b['patch_knn'])}")
    if "motion" in settings:
        parts.append(f"{ANOMALY_VARIANTS.label('motion')}: {settings['motion']}; {_knn_text(b['motion_knn'])}")
    if "appearance_motion" in b["variants"]:
        parts.append(f"{ANOMALY_VARIANTS.label('appearance_motion')}: the two scores, each standardised with its mean and "
                     f"std on held-out normal training frames, weighted {b['weights']['patch_knn']:g} and "
                     f"{b['weights']['motion']:g} and summed")
    return (f"{BEYOND_MARK} Beyond the seed (anomaly.beyond), the same detector and settings for every domain: " +
            "; ".join(parts) + f". Detectors are fitted on the source's training frames without the last "
            f"{b['held_out']:.0%} of each clip (held out for the standardisation); spaces are fitted on patches "
            f"(components capped at the patch's dimension). Smoothing where stated: {b['smoothing']['kind']} over "
            f"{b['smoothing']['window']} frames within clips.")


def _cdfg_cells(risk: dict, scenes: list[str]) -> dict[str, dict[tuple, float]]:
    """{measure: {pair: value}} of one EER table: the EER itself, G_part per direction, G_comp per pair."""
    g_part, g_comp = MEASURES.impl("g_part"), MEASURES.impl("g_comp")
    return {"eer": risk, "g_part": {(s, t): g_part(risk, s, t) for s, t in pair_order(scenes) if s != t},
            "g_comp": {(a, b): g_comp(risk, a, b) for a, b in combinations(scenes, 2)}}


def beyond_table(rows: list[dict], beyond: list[dict], scenes: list[str], space: str, caption, methods) -> list[Table]:
    """One space's EER table and its CDFG table (sections G_part and G_comp): the seed's detector (ours) beside
    each variant before and after smoothing (the CDFG measures of the smoothed EERs in the smoothed columns)."""
    seed = _cdfg_cells({(r["source"], r["target"]): r["eer"] for r in rows if r["space"] == space}, scenes)
    raw, smooth = variant_risks(beyond, [space]), variant_risks(beyond, [space], smoothed=True)
    parts = [seed] + [c for v in raw for c in (_cdfg_cells(raw[v][space], scenes), _cdfg_cells(smooth[v][space], scenes))]
    sections = {"eer": ("EER (%)", pair_order(scenes)),
                "g_part": (join(math_label(MEASURES["g_part"].label), "(source, target)"), [p for p in pair_order(scenes) if p[0] != p[1]]),
                "g_comp": (join(math_label(MEASURES["g_comp"].label), "(dataset A, dataset B)"), list(combinations(scenes, 2)))}
    body = []
    for measure, (title, keys) in sections.items():
        body.append(Section(title))
        body += [[label(a), label(b)] + [_fmt(part[measure][(a, b)]) for part in parts] for a, b in keys]
    columns = [Column("Source / A", "l"), Column("Target / B", "l"), Column("seed")]
    columns += [c for v in raw for c in (Column("raw", group=ANOMALY_VARIANTS.label(v) + BEYOND_MARK),
                                         Column("sm.", group=ANOMALY_VARIANTS.label(v) + BEYOND_MARK))]
    eer, cdfg = body[1:1 + len(sections["eer"][1])], body[1 + len(sections["eer"][1]):]
    return [Table(f"anomaly_beyond_{space}", f"Beyond the seed, {SPACES.label(space)} space: EER (%)", caption,
                  [Column("Source", "l"), Column("Target", "l")] + columns[2:], eer, wide=True, methods=methods),
            Table(f"anomaly_beyond_{space}_cdfg", f"Beyond the seed, {SPACES.label(space)} space: CDFG (EER points)",
                  caption, [Column("Source / A", "l"), Column("Target / B", "l")] + columns[2:], cdfg, wide=True,
                  methods=methods)]


def beyond_tables(rows: list[dict], beyond: list[dict], scenes: list[str], spaces: list[str], context: dict) -> list[Table]:
    """Per space, an EER and a CDFG table: the seed's detector beside anomaly.beyond's variants (Table 1 keeps
    the seed's width; one table of both ran past a page)."""
    caption = join("Lower is better. seed: the seed's detector, as in", table_ref("anomaly_eer") + " (ours); raw and "
                   "sm.: each variant's scores before and after smoothing (variants beyond the seed: †).",
                   context["data"] + ".")
    methods = join(beyond_text(context["beyond"]), f"Frame features: {context['preprocessing']}.")
    return [t for space in spaces for t in beyond_table(rows, beyond, scenes, space, caption, methods)]


def build_tables(rows: list[dict], scenes: list[str], spaces: list[str], context: dict) -> list[Table]:
    """A table per score and domain measure in the rows, then the two CDFG tables."""
    first = rows[0]
    features = (f"Frame features: {BACKBONES.label(first['backbone']) if first['backbone'] in BACKBONES else first['backbone']} "
                f"layer {first['layer']} ({first['node']}); {context['preprocessing']}. Profile {context['profile']}, "
                f"random seed {first['seed']}.")
    measures = [m for m in MEASURES if m in first and MEASURES[m].kind in ("scores", "domain")]
    bodies = {m: measure_rows(rows, scenes, spaces, m) for m in measures} | cdfg_rows(rows, scenes, spaces)
    tables = []
    for measure, body in bodies.items():
        stem, published_ref, short, note = table_spec(measure)
        with_published = measure in PUBLISHED or MEASURES[measure].kind == "cdfg"
        keys = [Column("Source", "l"), Column("Target", "l")] if measure != "g_comp" else [Column("Dataset A", "l"), Column("Dataset B", "l")]
        where = context["published"] if with_published else ""
        tables.append(Table(stem, short, join(note, context["data"] + ".", where), keys + _space_columns(spaces, with_published),
                            body, wide=True, methods=join(protocol_text(rows), features)))
    if all("eer_ci" in r for r in rows):
        tables.insert(1, interval_table(rows, scenes, spaces, context["data"] + ".", join(protocol_text(rows), features)))
    return tables


def interval_rows(rows: list[dict], scenes: list[str], spaces: list[str]) -> list[list[str]]:
    cell = {(r["source"], r["target"], r["space"]): r for r in rows}
    return [[label(s), label(t)] + [f"{cell[(s, t, sp)]['eer']:.1f} [{cell[(s, t, sp)]['eer_ci'][0]:.1f}, "
                                    f"{cell[(s, t, sp)]['eer_ci'][1]:.1f}]" for sp in spaces]
            for s, t in pair_order(scenes)]


def interval_text(rows: list[dict]) -> str:
    u = rows[0]["uncertainty"]
    units = {(r["target"], r["eer_ci_units"]) for r in rows}
    return (f"EER (%) with its {u['level']:.0%} percentile bootstrap interval: {u['resamples']} seeded draws, with "
            f"replacement, of the target's test clips, or of contiguous blocks of frames where a scene has fewer than "
            f"{u['min_units']} clips (units resampled: " + ", ".join(f"{label(t)} {n}" for t, n in sorted(units)) + ").")


def interval_table(rows: list[dict], scenes: list[str], spaces: list[str], data: str, protocol) -> Table:
    level = rows[0]["uncertainty"]["level"]
    return Table("anomaly_eer_ci", "Anomaly detection across domains: EER (%) and its bootstrap interval",
                 join(f"{level:.0%} percentile bootstrap over the target's test clips. Lower is better.", data),
                 [Column("Source", "l"), Column("Target", "l")] + [Column(SPACES.label(sp)) for sp in spaces],
                 interval_rows(rows, scenes, spaces), wide=True, methods=join(interval_text(rows), protocol))


def render(rows: list[dict], scenes: list[str], spaces: list[str], context: dict,
           beyond: list[dict] | None = None) -> tuple[list[Table], dict[str, str]]:
    """The tables, and {file name: text} of the check of the published tables (Markdown only). `beyond`: the
    rows of anomaly.beyond's variants (context["beyond"]: their settings), as one more table per space."""
    checks = seed_consistency()
    check = render_pair("seed_check", kinds=("md",), checks=checks, errata=[c for c in checks if not c["match"]],
                        label=label, space_labels={s: SPACES.label(s) for s in SPACES}, source=ANOMALY_SOURCE)["md"]
    tables = build_tables(rows, scenes, spaces, context)
    if beyond:
        tables += beyond_tables(rows, beyond, scenes, spaces, context)
    return tables, {"anomaly_seed_check.md": check}


def rank_correlations(rows: list[dict], scenes: list[str], spaces: list[str]) -> list[dict]:
    """Per domain measure and space: Kendall tau and Spearman rho (n cross-domain pairs) between the
    measure and the cross-domain EER, and between the measure and G_part."""
    from ..methods.rank import rank_correlation
    from ..methods.uncertainty import rank_correlation_p, seed_for

    g_part = MEASURES.impl("g_part")
    out = []
    for m in (m for m in MEASURES if MEASURES[m].kind == "domain" and m in rows[0]):
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
    from ..methods.rank import p_value, permutation_text, signed as fmt

    from ..methods.uncertainty import EXACT_UP_TO

    rows = [[math_label(MEASURES.label(c["measure"])), SPACES.label(c["space"]), str(c["n"]), fmt(c["tau_eer"]),
             fmt(c["rho_eer"]), p_value(c["p_eer"]), fmt(c["tau_gpart"]), fmt(c["rho_gpart"]), p_value(c["p_gpart"])]
            for c in correlations]
    g_part = math_label(MEASURES["g_part"].label)
    caption = join("Kendall's τ and Spearman's ρ over the n cross-domain pairs between each gap and the cross-domain EER, "
                   "and between it and", g_part, "; positive: a larger gap goes with a worse transfer.", data)
    methods = join("Gaps computed on source and target training frames, no labels.",
                   permutation_text(correlations[0]["n"], EXACT_UP_TO))
    columns = [Column("Measure", "l"), Column("Space", "l"), Column("n"), Column("τ", group="EER"), Column("ρ", group="EER"),
               Column("p", group="EER"), Column("τ", group=g_part), Column("ρ", group=g_part), Column("p", group=g_part)]
    return Table("anomaly_transferability", "Do domain gaps predict transfer?", caption, columns, rows, wide=True,
                 methods=methods)


def axis_scale(values) -> tuple[str, dict]:
    """A linear axis unless the values span two orders of magnitude or more: then log (all positive) or symlog
    (zero or negative values too, linear within the smallest non-zero magnitude)."""
    v = np.abs(np.asarray(values, dtype=float))
    nonzero = v[v > 0]
    if len(nonzero) < 2 or nonzero.max() / nonzero.min() < 100:
        return "linear", {}
    if (np.asarray(values) > 0).all():
        return "log", {}
    return "symlog", {"linthresh": float(nonzero.min())}


def plot_gap_vs_eer(rows: list[dict], spaces: list[str], stem: Path, title_suffix: str = "") -> list[Path]:
    """One panel per domain measure (rows) and space (columns): the gap of each cross-domain pair against its
    EER, on a log or symlog axis where the gaps span orders of magnitude; the text wide."""
    gaps = [m for m in MEASURES if MEASURES[m].kind == "domain" and m in rows[0]]
    fig, axes = new_figure(TEXT_WIDTH, 1.55 * len(gaps) + 0.4, len(gaps), len(spaces))
    for i, m in enumerate(gaps):
        for j, space in enumerate(spaces):
            cross = [r for r in rows if r["space"] == space and r["source"] != r["target"]]
            ax, x = axes[i][j], [r[m] for r in cross]
            ax.scatter(x, [r["eer"] for r in cross], s=9, color=series_style(j)["color"], marker=series_style(j)["marker"])
            scale, options = axis_scale(x)
            ax.set_xscale(scale, **options)
            ax.set(xlabel=MEASURES.label(m), ylabel="EER (%)" if j == 0 else None,
                   title=SPACES.label(space) if i == 0 else None, ylim=(0, MAX_EER))
            ax.grid(alpha=0.3)
    fig.suptitle("Domain gap vs cross-domain EER" + title_suffix)
    return save_figure(fig, stem)


def plot_heatmaps(rows: list[dict], scenes: list[str], spaces: list[str], stem: Path, title_suffix: str = "") -> list[Path]:
    """EER per source (rows) and target (columns), one panel per space, on one scale that fits every value."""
    eer = {(r["source"], r["target"], r["space"]): r["eer"] for r in rows}
    vmax = min(MAX_EER, 10 * np.ceil(max(eer.values()) / 10))  # never saturates: EER is at most 100
    fig, axes = new_figure(TEXT_WIDTH, 3.2, 1, len(spaces), sharey=True)
    for ax, space in zip(axes[0], spaces):
        grid = np.array([[eer[(s, t, space)] for t in scenes] for s in scenes])
        im = ax.imshow(grid, vmin=0, vmax=vmax, cmap="viridis_r")
        for i in range(len(scenes)):
            for j in range(len(scenes)):
                ax.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", fontsize=7,
                        color="white" if grid[i, j] > 0.6 * vmax else "black")
        ax.set_xticks(range(len(scenes)), [label(s) for s in scenes], rotation=30, ha="right")
        ax.set_yticks(range(len(scenes)), [label(s) for s in scenes])
        ax.set_xlabel("target")
        ax.set_title(SPACES.label(space))
    axes[0][0].set_ylabel("source")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.85, label="EER (%)")
    fig.suptitle("Frame-level EER" + title_suffix)
    return save_figure(fig, stem)


def roc_points(labels: np.ndarray, scores: np.ndarray):
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    return fpr, tpr


def plot_curves(scores_dir: Path, scenes: list[str], spaces: list[str], target: str, stem: Path,
                title_suffix: str = "") -> list[Path]:
    """One target scene: ROC (top row) and DET (bottom row, probit axes) per space, one colour, marker and line
    style per source (the in-domain source drawn thicker); the text wide, the legend below."""
    from scipy.stats import norm

    fig, axes = new_figure(TEXT_WIDTH, 4.6, 2, len(spaces))
    ticks = [0.01, 0.1, 0.5, 0.9, 0.99]
    probit = lambda p: norm.ppf(np.clip(p, 1e-3, 1 - 1e-3))  # noqa: E731
    for k, source in enumerate(scenes):
        data = load_npy(scores_dir / f"{source}__{target}.npz")
        style = series_style(k) | {"lw": 1.6 if source == target else 1.0, "markevery": 0.1}
        for i, space in enumerate(spaces):
            fpr, tpr = roc_points(data["labels"], data[space])
            axes[0][i].plot(fpr, tpr, label=label(source) + (" (in-domain)" if source == target else ""), **style)
            axes[1][i].plot(probit(fpr), probit(1 - tpr), **style)
    for i, space in enumerate(spaces):
        roc, det = axes[0][i], axes[1][i]
        roc.set(title=SPACES.label(space), xlim=(0, 1), ylim=(0, 1), xlabel="false positive rate")
        det.set_xticks(norm.ppf(ticks), [f"{t:g}" for t in ticks])
        det.set_yticks(norm.ppf(ticks), [f"{t:g}" for t in ticks])
        det.set_xlim(-3.2, 3.2), det.set_ylim(-3.2, 3.2)
        det.set_xlabel("false positive rate (DET)")
    axes[0][0].set_ylabel("true positive rate")
    axes[1][0].set_ylabel("miss rate")
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
    outside_legend(fig, [axes[0][0]], ncol=len(scenes), title="source")
    fig.suptitle(f"ROC and DET, target {label(target)}" + title_suffix)
    return save_figure(fig, stem)


FPR_GRID = np.round(np.linspace(0, 1, 101), 2)


def roc_plot_rows(data, spaces: list[str]) -> list[list]:
    """Per FPR on a 0.01 grid, each space's TPR (the best TPR at that FPR or below): `dvc plots` data."""
    cols = []
    for space in spaces:
        fpr, tpr = roc_points(data["labels"], data[space])
        cols.append([round(float(tpr[fpr <= x].max()), 6) for x in FPR_GRID])
    return [[float(x)] + [c[k] for c in cols] for k, x in enumerate(FPR_GRID)]


def _records(params, folder) -> list[dict]:
    from ..io import read_json

    folder = params.resolve_path(folder)
    return [r for f in (sorted(folder.glob("*.json")) if folder.is_dir() else []) for r in read_json(f)["rows"]]


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


def metrics(params) -> dict[str, float]:
    """Every score and domain measure of every pair and space, both CDFG measures, and the same for
    anomaly.beyond's variants (anomaly/beyond/<variant>[/smoothed]/...)."""
    from .. import paths
    from ..io import read_json
    from .anomaly_selection import selection_metrics

    scenes, rows = params.model.anomaly.scenes, _records(params, paths.ANOMALY_RECORDS)
    out = {f"anomaly/{r['source']}->{r['target']}/{r['space']}/{m}": r[m]
           for r in rows for m in MEASURES if MEASURES[m].kind in ("scores", "domain") and m in r}
    out |= {f"anomaly/{r['source']}->{r['target']}/{r['space']}/eer/{bound}": value
            for r in rows if "eer_ci" in r for bound, value in zip(INTERVAL_BOUNDS, r["eer_ci"])}
    if _covers(rows, scenes):
        out |= cdfg_metrics("anomaly", risks(rows, scenes, sorted({r["space"] for r in rows})), scenes)
    beyond = _records(params, paths.ANOMALY_BEYOND_RECORDS)
    for r in beyond:
        for where, values in ((r["variant"], r), (f"{r['variant']}/smoothed", r["smoothed"])):
            out |= {f"anomaly/beyond/{where}/{r['source']}->{r['target']}/{r['space']}/{m}": values[m]
                    for m in MEASURES if MEASURES[m].kind == "scores" and m in values}
    if _covers(beyond, scenes):
        for variant, risk in variant_risks(beyond, sorted({r["space"] for r in beyond})).items():
            out |= cdfg_metrics(f"anomaly/beyond/{variant}", risk, scenes)
    selection = params.resolve_path(paths.ANOMALY_BEYOND_SELECTION)
    if beyond and selection.is_file():
        out |= selection_metrics(read_json(selection))
    return out


EXPERIMENTS.implement("anomaly", metrics)
