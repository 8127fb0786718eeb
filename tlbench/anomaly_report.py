"""Tables 1-5 of the seed (EER, partial and complete CDFG), the consistency check of the seed's
own tables, EER heatmaps and ROC/DET curves."""
from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np

from .anomaly import SCORES_DIR, load_rows
from .config import Params
from .io import atomic_write_text, git_commit, read_json
from .metrics import complete_generalization, partial_generalization
from .paper_values import (ANOMALY_SOURCE, SPACES, TABLE1, TABLE_COMPLETE, TABLE_COMPLETE_NUMBER, TABLE_PARTIAL,
                           TABLE_PARTIAL_NUMBER)
from .registry import SCENES
from .report import environment

SPACE_LABELS = {"raw": "Cross-feature", "pca": "PCA", "tca": "TCA"}


def label(scene: str) -> str:
    return SCENES[scene][1]


def _decimals(value: float) -> int:
    text = repr(float(value))
    return len(text.split(".")[1]) if "." in text else 0


def seed_consistency() -> list[dict]:
    """Derive Tables 2-5 from the seed's own Table 1 with our CDFG code and compare at the seed's
    precision: |derived - published| <= 0.01 (inputs rounded to 2 decimals) + half a unit of the
    published value's last decimal. Returns one row per cell, `match` False for suspected errata."""
    out = []
    for kind, table, numbers, fn in (("partial", TABLE_PARTIAL, TABLE_PARTIAL_NUMBER, partial_generalization),
                                     ("complete", TABLE_COMPLETE, TABLE_COMPLETE_NUMBER, complete_generalization)):
        for pair, values in table.items():
            for i, space in enumerate(SPACES):
                risk = {k: v[i] for k, v in TABLE1.items()}
                derived = fn(risk, *pair)
                tolerance = 0.01 + 0.5 * 10 ** -_decimals(values[i])
                out.append({"table": numbers[pair], "kind": kind, "pair": pair, "space": space,
                            "published": values[i], "derived": round(derived, 4),
                            "match": abs(derived - values[i]) <= tolerance})
    return out


def _fmt(x) -> str:
    return "" if x is None else f"{x:.2f}"


def build_tables(rows: list[dict], scenes: list[str], spaces: list[str]) -> dict:
    eer = {(r["source"], r["target"], r["space"]): r["eer"] for r in rows}
    risk = {space: {(s, t): eer[(s, t, space)] for s in scenes for t in scenes} for space in spaces}
    seed_idx = {s: SPACES.index(s) for s in spaces}
    order = [(s, t) for t in scenes for s in [t] + [x for x in scenes if x != t]]  # the seed's: by target, in-domain first
    table1 = [[label(s), label(t)] + [c for sp in spaces for c in
              (_fmt(eer[(s, t, sp)]), _fmt(TABLE1.get((s, t), [None] * 3)[seed_idx[sp]]))] for s, t in order]
    partial = [[label(s), label(t)] + [c for sp in spaces for c in
               (_fmt(partial_generalization(risk[sp], s, t)),
                _fmt(TABLE_PARTIAL.get((s, t), [None] * 3)[seed_idx[sp]]))] for s, t in order if s != t]
    complete = []
    for a, b in combinations(scenes, 2):
        seed = TABLE_COMPLETE.get((a, b)) or TABLE_COMPLETE.get((b, a)) or [None] * 3
        complete.append([f"({label(a)}, {label(b)})"] + [c for sp in spaces for c in
                        (_fmt(complete_generalization(risk[sp], a, b)), _fmt(seed[seed_idx[sp]]))])
    return {"eer": table1, "partial": partial, "complete": complete}


def render(rows: list[dict], scenes: list[str], spaces: list[str], context: dict) -> dict[str, str]:
    """{file stem: text} for the three tables (.tex and .md) and the seed check (.md)."""
    tables = build_tables(rows, scenes, spaces)
    first = rows[0]
    det = first["detector"]
    smoothing = "" if first["smoothing"] <= 1 else f", scores smoothed over {first['smoothing']} frames"
    protocol = (
        f"{det['kind']} detector ({', '.join(f'{k}={v}' for k, v in det.items() if k != 'kind')}), the same for every "
        f"domain, trained on the source's normal training frames; EER (%) at frame level, pooled over all test clips "
        f"of the target{smoothing}. "
        f"Spaces: Cross-feature = z-scored features (source statistics); PCA = {first['pca_components']} components "
        f"fitted on the source; TCA = {first['tca']['n_components']} components, {first['tca']['kernel']} kernel, "
        f"mu={first['tca']['mu']}, fitted on source and target training frames (at most "
        f"{first['tca']['max_samples_per_domain']} per domain, no target labels)."
    )
    features = (f"Frame features: {first['backbone']} layer {first['layer']} ({first['node']}); "
                f"{context['preprocessing']}. Profile {context['profile']}, seed {first['seed']}, "
                f"commit {context['commit']}. Seed values: {ANOMALY_SOURCE}.")
    specs = {
        "anomaly_eer": ("Table 1", "Anomaly detection across domains: EER (\\%), ours beside the seed's", ["Source", "Target"],
                        tables["eer"], "lower is better"),
        "anomaly_cdfg_partial": ("Tables 2 and 4", "Partial CDFG measure $G_{part}$ (EER points)", ["Source", "Target"],
                                 tables["partial"], "G_part(A->B) = |EER(A->A) - EER(A->B)|"),
        "anomaly_cdfg_complete": ("Tables 3 and 5", "Complete CDFG measure $G_{comp}$ (EER points)", ["Datasets"],
                                  tables["complete"], "G_comp(A,B) = (G_part(A->B) + G_part(B->A)) / 2"),
    }
    out = {}
    for stem, (seed_ref, title, keys, body, note) in specs.items():
        common = {"title": title, "seed_ref": seed_ref, "keys": keys, "spaces": [SPACE_LABELS[s] for s in spaces],
                  "rows": body, "protocol": protocol, "features": features, "note": note,
                  "label": "tab:" + stem.replace("_", "-")}
        out[f"{stem}.tex"] = environment("tex").get_template("space_table.tex.j2").render(**common)
        out[f"{stem}.md"] = environment("md").get_template("space_table.md.j2").render(**common)
    checks = seed_consistency()
    out["anomaly_seed_check.md"] = environment("md").get_template("seed_check.md.j2").render(
        checks=checks, errata=[c for c in checks if not c["match"]], label=label, space_labels=SPACE_LABELS,
        source=ANOMALY_SOURCE)
    return out


def plot_heatmaps(rows: list[dict], scenes: list[str], spaces: list[str], stem: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .report import save_figure

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
        ax.set_title(f"{SPACE_LABELS[space]} EER (%)")
    axes[0][0].set_ylabel("source")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8)
    return save_figure(fig, stem)


def plot_curves(params: Params, scenes: list[str], spaces: list[str], stem: Path) -> list[Path]:
    """ROC (top) and DET (bottom, probit axes) per target scene and space; one curve per source."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import norm
    from sklearn.metrics import roc_curve

    from .report import save_figure

    fig, axes = plt.subplots(2 * len(spaces), len(scenes), figsize=(3.2 * len(scenes), 2.9 * 2 * len(spaces)),
                             squeeze=False)
    ticks = [0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.999]
    for j, target in enumerate(scenes):
        for source in scenes:
            data = np.load(params.resolve_path(SCORES_DIR / f"{source}__{target}.npz"))
            for i, space in enumerate(spaces):
                fpr, tpr, _ = roc_curve(data["labels"], data[space], drop_intermediate=False)
                style = "-" if source == target else "--"
                roc, det = axes[2 * i][j], axes[2 * i + 1][j]
                roc.plot(fpr, tpr, style, label=label(source), lw=1.2)
                clip = lambda p: norm.ppf(np.clip(p, 1e-3, 1 - 1e-3))  # noqa: E731
                det.plot(clip(fpr), clip(1 - tpr), style, lw=1.2)
                roc.set_title(f"{SPACE_LABELS[space]} -> {label(target)}", fontsize=9)
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


def stage_report(params: Params) -> list[Path]:
    scenes, spaces = params.get("anomaly.scenes"), params.get("anomaly.spaces")
    rows = load_rows(params)
    meta = read_json(params.resolve_path(f"reports/metrics/anomaly/{scenes[0]}__{scenes[0]}.json"))
    context = {"profile": params.profile, "commit": git_commit(params.root_dir), "preprocessing": meta["preprocessing"]}
    tables = params.resolve_path(params.get("report.tables_dir"))
    written = [atomic_write_text(tables / name, text) for name, text in render(rows, scenes, spaces, context).items()]
    figures = params.resolve_path(params.get("report.figures_dir"))
    written += plot_heatmaps(rows, scenes, spaces, figures / "anomaly_eer_heatmap")
    written += plot_curves(params, scenes, spaces, figures / "anomaly_roc_det")
    return written
