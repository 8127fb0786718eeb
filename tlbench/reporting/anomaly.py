"""Seed Tables 1-5 (one table per score measure, partial and complete CDFG), the consistency check of
the seed's own tables, heatmaps and ROC/DET curves. Measures and spaces come from their registries,
so a newly registered measure gets its own table without an edit here."""
from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np

from ..data.registry import SCENES
from ..methods import cdfg  # noqa: F401 (implements g_part and g_comp)
from ..methods.registry import MEASURES, SPACES
from .experiments import EXPERIMENTS
from .figures import pyplot, save_figure
from .paper_values import ANOMALY_SOURCE, TABLE1, TABLE_COMPLETE, TABLE_COMPLETE_NUMBER, TABLE_PARTIAL, TABLE_PARTIAL_NUMBER
from .paper_values import SPACES as PAPER_SPACES
from .render import latex_escape, render_pair

PUBLISHED = {"eer": TABLE1}  # measure -> {(source, target): values per PAPER_SPACES}


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


def _fmt_gap(x) -> str:
    """Domain gaps span orders of magnitude between spaces: three significant digits."""
    return "" if x is None else f"{x:.3g}"


def measure_table(rows: list[dict], scenes: list[str], spaces: list[str], measure: str) -> list[list[str]]:
    value = {(r["source"], r["target"], r["space"]): r[measure] for r in rows}
    published = PUBLISHED.get(measure, {})
    fmt = _fmt_gap if MEASURES[measure].kind == "domain" else _fmt
    return [[label(s), label(t)] + [c for sp in spaces for c in
            (fmt(value[(s, t, sp)]), _fmt(_published(published, sp, (s, t))))]
            for s, t in pair_order(scenes)]


def cdfg_tables(rows: list[dict], scenes: list[str], spaces: list[str]) -> dict[str, list[list[str]]]:
    eer = {(r["source"], r["target"], r["space"]): r["eer"] for r in rows}
    risk = {space: {(s, t): eer[(s, t, space)] for s in scenes for t in scenes} for space in spaces}
    g_part, g_comp = MEASURES.impl("g_part"), MEASURES.impl("g_comp")
    partial = [[label(s), label(t)] + [c for sp in spaces for c in
               (_fmt(g_part(risk[sp], s, t)), _fmt(_published(TABLE_PARTIAL, sp, (s, t))))]
               for s, t in pair_order(scenes) if s != t]
    complete = [[f"({label(a)}, {label(b)})"] + [c for sp in spaces for c in
                (_fmt(g_comp(risk[sp], a, b)), _fmt(_published(TABLE_COMPLETE, sp, (a, b), (b, a))))]
                for a, b in combinations(scenes, 2)]
    return {"g_part": partial, "g_comp": complete}


def build_tables(rows: list[dict], scenes: list[str], spaces: list[str]) -> dict:
    """{measure: body rows} for every score measure in the rows, then the CDFG tables."""
    measures = [m for m in MEASURES if m in rows[0] and MEASURES[m].kind in ("scores", "domain")]
    return {m: measure_table(rows, scenes, spaces, m) for m in measures} | cdfg_tables(rows, scenes, spaces)


def protocol_text(rows: list[dict]) -> str:
    first = rows[0]
    det, tca = first["detector"], first["tca"]
    smoothing = "" if first["smoothing"] <= 1 else f", scores smoothed over {first['smoothing']} frames"
    gammas = {r["space"]: r.get("gamma") for r in rows}
    gamma = ("one RBF width per space from all scenes' training frames pooled, "
             + ", ".join(f"{SPACES.label(s)} {g:.3g}" for s, g in gammas.items() if g is not None) + "; "
             if det.get("gamma") == "shared" else "")
    solvers = sorted({r["tca_solver"] for r in rows if r.get("tca_solver")})
    tca_text = (f"TCA = {tca['n_components']} components, {tca['kernel']} kernel, mu={tca['mu']}, "
                f"{'normalised as Pan et al. (unit-variance components)' if tca.get('normalise', 'pan') == 'pan' else 'B-orthonormal components'}"
                f"{', ' + '/'.join(solvers) + ' solver' if solvers else ''}, fitted on source and target training frames "
                f"(at most {tca['max_samples_per_domain']} per domain, no target labels).")
    return (
        f"{det['kind']} detector ({', '.join(f'{k}={v}' for k, v in det.items() if k != 'kind')}; {gamma}"
        f"the same for every domain), trained on the source's normal training frames; EER (%) at frame level, pooled "
        f"over all test clips of the target{smoothing}. "
        f"Spaces: Cross-feature = z-scored features (source statistics); PCA = {first['pca_components']} components "
        f"fitted on the source (exact SVD); " + tca_text
    )


def table_spec(measure: str) -> tuple[str, str, str, list[str], str]:
    """(file stem, seed table, title, key columns, note) of a measure's table."""
    if measure == "eer":
        return ("anomaly_eer", "Table 1", "Anomaly detection across domains: EER (\\%), ours beside the seed's",
                ["Source", "Target"], "lower is better")
    if measure == "g_part":
        return ("anomaly_cdfg_partial", "Tables 2 and 4", "Partial CDFG measure $G_{part}$ (EER points)",
                ["Source", "Target"], "G_part(A->B) = |EER(A->A) - EER(A->B)|")
    if measure == "g_comp":
        return ("anomaly_cdfg_complete", "Tables 3 and 5", "Complete CDFG measure $G_{comp}$ (EER points)",
                ["Datasets"], "G_comp(A,B) = (G_part(A->B) + G_part(B->A)) / 2")
    entry = MEASURES[measure]
    title = entry.label if "$" in entry.label else latex_escape(entry.label)
    if entry.kind == "domain":
        return (f"anomaly_{measure}", "Table 1 layout (not in the seed)",
                f"Domain gap {title} between source and target training frames", ["Source", "Target"],
                f"{entry.help}; no target labels; lower means closer domains")
    return (f"anomaly_{measure}", "Table 1 layout (not in the seed)", f"Anomaly detection across domains: {title}",
            ["Source", "Target"], f"{entry.direction} is better")


def rank_correlations(rows: list[dict], scenes: list[str], spaces: list[str]) -> list[dict]:
    """Per domain measure and space: Kendall tau and Spearman rho (n cross-domain pairs) between the
    measure and the cross-domain EER, and between the measure and G_part."""
    from ..methods.rank import rank_correlation

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
            out.append({"measure": m, "space": space, "n": len(pairs), "tau_eer": tau_eer, "rho_eer": rho_eer,
                        "tau_gpart": tau_gpart, "rho_gpart": rho_gpart})
    return out


def render_correlations(correlations: list[dict]) -> dict[str, str]:
    from ..methods.rank import signed as fmt

    rows = [[MEASURES.label(c["measure"]), SPACES.label(c["space"]), str(c["n"]), fmt(c["tau_eer"]),
             fmt(c["rho_eer"]), fmt(c["tau_gpart"]), fmt(c["rho_gpart"])] for c in correlations]
    caption = ("Do domain gaps computed on features alone (source and target training frames, no labels) "
               "predict transfer? Kendall tau and Spearman rho over the n cross-domain pairs between each "
               "measure and the cross-domain EER, and between it and the partial CDFG G_part; positive means a "
               "larger gap goes with a worse transfer")
    return render_pair("plain_table", caption=caption, rows=rows, label="tab:anomaly-transferability",
                       header=["Measure", "Space", "n", "tau (EER)", "rho (EER)", "tau (G_part)", "rho (G_part)"],
                       align="llrrrrr")


def plot_gap_vs_eer(rows: list[dict], spaces: list[str], stem: Path) -> list[Path]:
    """One panel per domain measure and space: the gap of each cross-domain pair against its EER."""
    plt = pyplot()
    gaps = [m for m in MEASURES if MEASURES[m].kind == "domain" and m in rows[0]]
    fig, axes = plt.subplots(len(gaps), len(spaces), figsize=(3.2 * len(spaces), 2.6 * len(gaps)), squeeze=False,
                             layout="constrained")
    for i, m in enumerate(gaps):
        for j, space in enumerate(spaces):
            cross = [r for r in rows if r["space"] == space and r["source"] != r["target"]]
            ax = axes[i][j]
            ax.scatter([r[m] for r in cross], [r["eer"] for r in cross], s=14)
            ax.set(xlabel=MEASURES.label(m).replace("$", ""), ylabel="EER (%)" if j == 0 else None,
                   title=SPACES.label(space) if i == 0 else None)
            ax.grid(alpha=0.3)
    return save_figure(fig, stem)


def render(rows: list[dict], scenes: list[str], spaces: list[str], context: dict) -> dict[str, str]:
    """{file name: text}: a table per score measure and the CDFG tables (.tex and .md), the seed check (.md)."""
    first = rows[0]
    features = (f"Frame features: {first['backbone']} layer {first['layer']} ({first['node']}); "
                f"{context['preprocessing']}. Profile {context['profile']}, seed {first['seed']}, "
                f"commit {context['commit']}. Seed values: {ANOMALY_SOURCE}.")
    out = {}
    for measure, body in build_tables(rows, scenes, spaces).items():
        stem, seed_ref, title, keys, note = table_spec(measure)
        texts = render_pair("space_table", title=title, seed_ref=seed_ref, keys=keys,
                            spaces=[SPACES.label(s) for s in spaces], rows=body, protocol=protocol_text(rows),
                            features=features, note=note, label="tab:" + stem.replace("_", "-"))
        out |= {f"{stem}.{kind}": text for kind, text in texts.items()}
    checks = seed_consistency()
    out["anomaly_seed_check.md"] = render_pair(
        "seed_check", kinds=("md",), checks=checks, errata=[c for c in checks if not c["match"]], label=label,
        space_labels={s: SPACES.label(s) for s in SPACES}, source=ANOMALY_SOURCE)["md"]
    return out


def plot_heatmaps(rows: list[dict], scenes: list[str], spaces: list[str], stem: Path) -> list[Path]:
    plt = pyplot()
    eer = {(r["source"], r["target"], r["space"]): r["eer"] for r in rows}
    fig, axes = plt.subplots(1, len(spaces), figsize=(3.6 * len(spaces) + 1, 3.6), squeeze=False, sharey=True,
                             layout="constrained")
    for ax, space in zip(axes[0], spaces):
        grid = np.array([[eer[(s, t, space)] for t in scenes] for s in scenes])
        im = ax.imshow(grid, vmin=0, vmax=60, cmap="viridis_r")
        for i in range(len(scenes)):
            for j in range(len(scenes)):
                ax.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", fontsize=8,
                        color="white" if grid[i, j] > 35 else "black")
        ax.set_xticks(range(len(scenes)), [label(s) for s in scenes], rotation=30, ha="right")
        ax.set_yticks(range(len(scenes)), [label(s) for s in scenes])
        ax.label_outer()
        ax.set_xlabel("target")
        ax.set_title(f"{SPACES.label(space)} EER (%)")
    axes[0][0].set_ylabel("source")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8)
    return save_figure(fig, stem)


def plot_curves(scores_dir: Path, scenes: list[str], spaces: list[str], stem: Path) -> list[Path]:
    """ROC (top) and DET (bottom, probit axes) per target scene and space; one curve per source."""
    from scipy.stats import norm
    from sklearn.metrics import roc_curve

    plt = pyplot()

    fig, axes = plt.subplots(2 * len(spaces), len(scenes), figsize=(3.2 * len(scenes), 2.9 * 2 * len(spaces)),
                             squeeze=False)
    ticks = [0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.999]
    for j, target in enumerate(scenes):
        for source in scenes:
            data = np.load(scores_dir / f"{source}__{target}.npz")
            for i, space in enumerate(spaces):
                fpr, tpr, _ = roc_curve(data["labels"], data[space], drop_intermediate=False)
                style = "-" if source == target else "--"
                roc, det = axes[2 * i][j], axes[2 * i + 1][j]
                roc.plot(fpr, tpr, style, label=label(source), lw=1.2)
                clip = lambda p: norm.ppf(np.clip(p, 1e-3, 1 - 1e-3))  # noqa: E731
                det.plot(clip(fpr), clip(1 - tpr), style, lw=1.2)
                roc.set_title(f"{SPACES.label(space)} -> {label(target)}", fontsize=9)
                roc.set_xlabel("FPR", fontsize=8), roc.set_ylabel("TPR", fontsize=8)
                det.set_xticks(norm.ppf(ticks), [f"{t:g}" for t in ticks], fontsize=7)
                det.set_yticks(norm.ppf(ticks), [f"{t:g}" for t in ticks], fontsize=7)
                det.set_xlabel("FPR (DET)", fontsize=8), det.set_ylabel("FNR", fontsize=8)
                det.set_xlim(-3.2, 3.2), det.set_ylim(-3.2, 3.2)
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, title="source", title_fontsize=7)
    fig.tight_layout()
    return save_figure(fig, stem)


def gated_metrics(params) -> list:
    """Every score measure of every pair and space; EER keeps the short name anomaly/A->B/space."""
    from .. import paths
    from ..io import read_json
    from .experiments import Metric

    folder = params.resolve_path(paths.ANOMALY_METRICS)
    out = []
    for f in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        for r in read_json(f)["rows"]:
            for m in (m for m in MEASURES if MEASURES[m].kind in ("scores", "domain") and m in r):
                suffix = "" if m == "eer" else f"/{m}"
                out.append(Metric(f"anomaly/{r['source']}->{r['target']}/{r['space']}{suffix}", r[m], m))
    return out


EXPERIMENTS.implement("anomaly", gated_metrics)
