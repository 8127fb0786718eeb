"""Seed Table 6 (the PH2 layer sweep): our means beside the published ones, and its figure.

Records stay long-form (one row per fold) until here; aggregation happens at render time."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..methods.registry import MEASURES, PROTOCOLS, TASKS
from ..models.specs import BACKBONES
from .figures import pyplot, save_figure
from .paper_values import TABLE6, TABLE6_SOURCE
from .experiments import EXPERIMENTS
from .render import render_pair

def backbone_label(name: str) -> str:
    return BACKBONES.label(name) if name in BACKBONES else name


@dataclass
class Ph2Context:
    profile: str
    seed: int
    commit: str
    preprocessing: dict[str, str] = field(default_factory=dict)
    synthetic: bool = False


def _mean_std(values: pd.Series) -> tuple[float, float]:
    a = values.to_numpy(dtype=float) * 100
    return float(a.mean()), float(a.std(ddof=0))


def _pooled(folds: pd.DataFrame) -> float | None:
    """The pooled balanced accuracy (%) of a protocol's out-of-fold predictions (older records lack it)."""
    if "pooled_balanced_accuracy" not in folds or folds.pooled_balanced_accuracy.isna().any():
        return None
    return 100 * float(folds.pooled_balanced_accuracy.iloc[0])


def protocol_header(protocol: str) -> str:
    """What the mean over the protocol's folds is, and the protocol: "accuracy, folds as in the seed"."""
    return f"{MEASURES[PROTOCOLS[protocol].kind].label.removesuffix(' (%)')}, {PROTOCOLS[protocol].label}"


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
            "pooled": {p: _pooled(g[g.protocol == p]) for p in protocols},
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
                    cells[p] = {"mean": f"{m:.2f}", "std": f"{sd:.2f}", "best": bool(np.isclose(m, best[p])),
                                "pooled": "" if o["pooled"][p] is None else f"{o['pooled'][p]:.1f}"}
            rows.append({
                "backbone": backbone_label(bb), "first": i == 0, "span": len(keys), "layer": key[1],
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
        sections.append({"task": task, "task_text": TASKS[task].label, "rows": rows, "protocols": protocols,
                         "protocol_labels": [protocol_header(p) for p in protocols]})
    common = {
        "sections": sections, "ctx": ctx, "n_folds": int(first.n_folds), "C": float(first.C),
        "standardize": bool(first.standardize), "seed_source": TABLE6_SOURCE,
        "protocol_text": {p: PROTOCOLS[p].help for p in PROTOCOLS},
        "preprocessing": [f"{backbone_label(k)}: {v}" for k, v in sorted(ctx.preprocessing.items())],
        "data_text": "synthetic PH2 twin (demo profile)" if ctx.synthetic else "PH2 (Mendonça et al. 2013)",
    }
    texts = render_pair("ph2_layers", **common)
    return texts["tex"], texts["md"]


def plot_ph2_layers(records: list[dict], out_stem: Path) -> list[Path]:
    """Balanced accuracy vs layer, one panel per task, ours (solid) beside the seed (dashed)."""
    plt = pyplot()

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
                        label=f"{backbone_label(bb)} ({protocol_header(protocol)})")
        for bb in dict.fromkeys(k[0] for k in TABLE6):
            layers = sorted((k[1] for k in TABLE6 if k[0] == bb), reverse=True)
            ax.plot(layers, [TABLE6[(bb, l)][2] for l in layers], "--", marker="s", alpha=0.6,
                    label=f"{backbone_label(bb)} (seed)")
        ax.set_title(TASKS[task].label)
        ax.set_xlabel("layer (Keras-style index)")
        ax.invert_xaxis()
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("balanced accuracy (%)")
    axes[0][-1].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return save_figure(fig, out_stem)


def gated_metrics(params) -> list:
    """Per cell: the mean over the folds (measured as its protocol says) and the pooled balanced accuracy."""
    from .. import paths
    from ..io import read_json
    from .experiments import Metric

    path = params.resolve_path(paths.PH2_SUMMARY)
    if not path.is_file():
        return []
    out = []
    for bb, layers in read_json(path)["ph2_layers"].items():
        for layer, tasks in layers.items():
            for task, protocols in tasks.items():
                for protocol, v in protocols.items():
                    name = f"ph2/{bb}/{layer}/{task}/{protocol}"
                    out.append(Metric(name, v["mean"], PROTOCOLS[protocol].kind))
                    if "pooled_balanced_accuracy" in v:
                        out.append(Metric(f"{name}/pooled", v["pooled_balanced_accuracy"], "pooled_balanced_accuracy"))
    return out + transferability_metrics(read_json(path).get("transferability", {}))


def transferability_metrics(transfer: dict) -> list:
    from .experiments import Metric

    return [Metric(f"ph2/{bb}/{layer}/{task}/{m}", v, m) for bb, layers in transfer.items()
            for layer, tasks in layers.items() for task, values in tasks.items() for m, v in values.items()]


EXPERIMENTS.implement("ph2", gated_metrics)


def _measures_of(transfer: dict) -> list[str]:
    layers = [v for k, v in transfer.items() if k != "source_model"]
    return [m for m in MEASURES if layers and any(m in values for v in layers for values in v.values())]


def transferability_tables(summary: dict) -> tuple[list[list[str]], list[list[str]]]:
    """Per backbone, task and layer: the CV means beside LogME and H-score; and per measure and protocol
    the rank correlation with the CV mean over the layers and whether both pick the same top layer."""
    from ..methods.rank import rank_correlation, signed

    values, summary_rows = [], []
    for bb, transfer in summary.get("transferability", {}).items():
        layers = [k for k in transfer if k != "source_model"]
        for task in TASKS:
            cells = {layer: summary["ph2_layers"][bb][layer].get(task) for layer in layers}
            if not all(cells.values()):
                continue
            protocols = [p for p in PROTOCOLS if p in cells[layers[0]]]
            leep = transfer.get("source_model", {}).get(task, {}).get("leep")
            for layer in layers:
                values.append([backbone_label(bb), TASKS[task].name, layer]
                              + [f"{cells[layer][p]['mean']:.2f}" for p in protocols]
                              + [f"{transfer[layer][task][m]:.4g}" for m in _measures_of(transfer)])
            for m in _measures_of(transfer):
                score = [transfer[layer][task][m] for layer in layers]
                for p in protocols:
                    cv = [cells[layer][p]["mean"] for layer in layers]
                    same_top = layers[int(np.argmax(score))] == layers[int(np.argmax(cv))]
                    tau, rho = rank_correlation(score, cv)
                    summary_rows.append([backbone_label(bb), TASKS[task].name, MEASURES.label(m), PROTOCOLS[p].label,
                                         str(len(layers)), signed(tau), signed(rho), "yes" if same_top else "no",
                                         "" if leep is None else f"{leep:.3f}"])
    return values, summary_rows


def render_transferability(summary: dict) -> dict[str, dict[str, str]]:
    values, correlations = transferability_tables(summary)
    if not values:
        return {}
    transfer = next(iter(summary["transferability"].values()))
    protocols = [p for p in PROTOCOLS if any(p in t for l in summary["ph2_layers"].values() for x in l.values()
                                             for t in x.values())]
    header = ["CNN", "Task", "Layer"] + [f"CV, {PROTOCOLS[p].label}" for p in protocols] + \
        [MEASURES.label(m) for m in _measures_of(transfer)]
    return {
        "ph2_transferability": render_pair(
            "plain_table", rows=values, header=header, label="tab:ph2-transferability", align="lll" + "r" * (len(header) - 3),
            caption="PH2 layer sweep: layer-ranking measures computed on the features and labels alone (LogME, You et "
                    "al. 2021; H-score, Bao et al. 2019; higher is better) beside the linear SVM's CV means (%)"),
        "ph2_transferability_summary": render_pair(
            "plain_table", rows=correlations, label="tab:ph2-transferability-summary", align="llllrrrcr",
            header=["CNN", "Task", "Measure", "CV", "n", "Kendall tau", "Spearman rho", "Same top layer", "LEEP"],
            caption="Do the measures rank the layers as cross-validation does? Rank correlation with the CV mean over "
                    "the n layers, and whether the measure's best layer is the CV's; LEEP (Nguyen et al. 2020) scores "
                    "the backbone's ImageNet head, once per backbone and task"),
    }
