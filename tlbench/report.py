"""Rendering result records to LaTeX/Markdown tables (Jinja2) and figures.

Records stay long-form (one row per fold) until here; aggregation happens at render time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from .paper_values import TABLE6, TABLE6_SOURCE
from .registry import PROTOCOLS, TASKS

TEMPLATES = Path(__file__).parent / "templates"
BACKBONE_LABELS = {"vgg19": "VGG-19", "resnet50": "ResNet50", "efficientnet_lite0": "EfficientNet-Lite0",
                   "inception_v3": "Inception-v3"}
PROTOCOL_LABELS = {"paper": "paper CV", "stratified": "stratified CV"}

_LATEX_SPECIALS = {"±": r"$\pm$", "–": "--", "→": r"$\rightarrow$", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                   "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def latex_escape(value) -> str:
    return re.sub(r"[±–→&%$#_{}~^\\]", lambda m: _LATEX_SPECIALS[m.group()], str(value))


def markdown_escape(value) -> str:
    return str(value).replace("|", r"\|")


def environment(kind: str) -> jinja2.Environment:
    if kind == "tex":  # delimiters that do not clash with LaTeX braces
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES), block_start_string="((*", block_end_string="*))",
            variable_start_string="(((", variable_end_string=")))", comment_start_string="((=",
            comment_end_string="=))", trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined, autoescape=False)
        env.filters["e"] = latex_escape
    else:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True, lstrip_blocks=True,
                                 keep_trailing_newline=True, undefined=jinja2.StrictUndefined, autoescape=False)
        env.filters["e"] = markdown_escape
    return env


@dataclass
class Ph2Context:
    profile: str
    seed: int
    commit: str
    preprocessing: dict[str, str] = field(default_factory=dict)


def _mean_std(values: pd.Series) -> tuple[float, float]:
    a = values.to_numpy(dtype=float) * 100
    return float(a.mean()), float(a.std(ddof=0))


def ph2_table_rows(df: pd.DataFrame, task: str) -> tuple[list[dict], list[str]]:
    """Rows of the Table 6 comparison for one task: ours and the seed's, union of both."""
    sub = df[df.task == task]
    protocols = [p for p in PROTOCOLS if p in set(sub.protocol)]
    ours = {}
    for (bb, layer), g in sub.groupby(["backbone", "layer"], sort=False):
        first = g.iloc[0]
        ours[(bb, int(layer))] = {
            "node": first.node, "n_features": int(first.n_features),
            "variance": 100 * float(first.variance_fraction),
            "scores": {p: _mean_std(g[g.protocol == p].balanced_accuracy) for p in protocols},
        }
    backbones = list(dict.fromkeys([k[0] for k in ours] + [k[0] for k in TABLE6]))
    rows = []
    for bb in backbones:
        keys = sorted({k for k in list(ours) + list(TABLE6) if k[0] == bb}, key=lambda k: -k[1])
        best = {p: max((ours[k]["scores"][p][0] for k in keys if k in ours), default=None) for p in protocols}
        for i, key in enumerate(keys):
            o, s = ours.get(key), TABLE6.get(key)
            cells = {p: None for p in protocols}
            if o:
                for p in protocols:
                    m, sd = o["scores"][p]
                    cells[p] = {"mean": f"{m:.2f}", "std": f"{sd:.2f}", "best": bool(np.isclose(m, best[p]))}
            rows.append({
                "backbone": BACKBONE_LABELS.get(bb, bb), "first": i == 0, "span": len(keys), "layer": key[1],
                "node": o["node"] if o else "", "n_features": (o or {}).get("n_features") or s[0],
                "variance": f"{o['variance']:.1f}" if o else "", "seed_variance": f"{s[1]:.1f}" if s else "",
                "ours": cells, "seed": {"mean": f"{s[2]:.1f}", "std": f"{s[3]:.2f}"} if s else None,
                "delta": f"{o['scores'][protocols[0]][0] - s[2]:+.2f}" if o and s and protocols and protocols[0] == "paper" else "",
            })
    return rows, protocols


def render_ph2_tables(records: list[dict], ctx: Ph2Context) -> tuple[str, str]:
    df = pd.DataFrame.from_records(records)
    first = df.iloc[0]
    tasks = [t for t in TASKS if t in set(df.task)]
    sections = []
    for task in tasks:
        rows, protocols = ph2_table_rows(df, task)
        sections.append({"task": task, "task_text": TASKS[task][0], "rows": rows, "protocols": protocols,
                         "protocol_labels": [PROTOCOL_LABELS[p] for p in protocols]})
    common = {
        "sections": sections, "ctx": ctx, "n_folds": int(first.n_folds), "C": float(first.C),
        "standardize": bool(first.standardize), "seed_source": TABLE6_SOURCE,
        "protocol_text": {p: PROTOCOLS[p] for p in PROTOCOLS},
        "preprocessing": [f"{BACKBONE_LABELS.get(k, k)}: {v}" for k, v in sorted(ctx.preprocessing.items())],
        "data_text": "synthetic PH2 twin (demo profile)" if ctx.profile == "demo" else "PH2 (Mendonça et al. 2013)",
    }
    tex = environment("tex").get_template("ph2_layers.tex.j2").render(**common)
    md = environment("md").get_template("ph2_layers.md.j2").render(**common)
    return tex, md


def plot_ph2_layers(records: list[dict], out_stem: Path) -> list[Path]:
    """Balanced accuracy vs layer, one panel per task, ours (solid) beside the seed (dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = pd.DataFrame.from_records(records)
    tasks = [t for t in TASKS if t in set(df.task)]
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.5 * len(tasks), 4), squeeze=False, sharey=True)
    for ax, task in zip(axes[0], tasks):
        sub = df[df.task == task]
        groups = list(sub.groupby(["backbone", "protocol"], sort=False))
        for k, ((bb, protocol), g) in enumerate(groups):
            agg = g.groupby("layer").balanced_accuracy.agg(["mean", lambda s: s.std(ddof=0)]) * 100
            agg.columns = ["mean", "std"]
            agg = agg.sort_index(ascending=False)
            dodge = 0.1 * (k - (len(groups) - 1) / 2)  # keep error bars apart
            ax.errorbar(agg.index + dodge, agg["mean"], yerr=agg["std"], marker="o", capsize=3,
                        label=f"{BACKBONE_LABELS.get(bb, bb)} ({PROTOCOL_LABELS[protocol]})")
        for bb in dict.fromkeys(k[0] for k in TABLE6):
            layers = sorted((k[1] for k in TABLE6 if k[0] == bb), reverse=True)
            ax.plot(layers, [TABLE6[(bb, l)][2] for l in layers], "--", marker="s", alpha=0.6,
                    label=f"{BACKBONE_LABELS[bb]} (seed)")
        ax.set_title(TASKS[task][0])
        ax.set_xlabel("layer (Keras-style index)")
        ax.invert_xaxis()
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("balanced accuracy (%)")
    axes[0][-1].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return save_figure(fig, out_stem)


def save_figure(fig, out_stem: Path) -> list[Path]:
    """PNG and PDF, written atomically, without timestamps so that reruns give the same bytes."""
    import matplotlib.pyplot as plt

    out_stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for ext, meta in (("png", {"Software": None}), ("pdf", {"CreationDate": None, "Producer": None})):
        path = out_stem.with_suffix(f".{ext}")
        tmp = path.with_name(f".tlbench-tmp-{path.name}")
        fig.savefig(tmp, format=ext, dpi=120, metadata=meta)
        tmp.replace(path)
        written.append(path)
    plt.close(fig)
    return written
