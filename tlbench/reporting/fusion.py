"""Seed Table 7 (multi-layer fusion on Supermarket Produce) beside ours, its figure, and the
fine-tuning curves of the adapted network."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .experiments import EXPERIMENTS
from .figures import pyplot, save_figure
from .paper_values import TABLE7, TABLE7_AVG, TABLE7_SOURCE
from .render import render_pair

COLUMN_LABELS = {"global": "Pre-prediction layer", "block1": "Fusion 1st block", "block2": "Fusion 2nd block",
                 "block3": "Fusion 3rd block"}  # in Table 7's order


def columns(rows: list[dict]) -> list[str]:
    present = {r["column"] for r in rows}
    return [c for c in COLUMN_LABELS if c in present]


def table7_rows(rows: list[dict]) -> tuple[list[list[str]], list[str]]:
    """Body rows (n_components, then ours mean ± std and the seed per column) and the Avg. row."""
    acc: dict[tuple, list[float]] = {}
    for r in rows:
        acc.setdefault((r["column"], r["n_components"]), []).append(100 * r["accuracy"])
    sizes = sorted({r["n_components"] for r in rows}, reverse=True)
    body = []
    for n in sizes:
        cells = [str(n)]
        for k, col in enumerate(columns(rows)):
            a, seed = np.array(acc[(col, n)]), TABLE7.get(n)
            cells += [f"{a.mean():.2f} ± {a.std(ddof=0):.2f}", f"{seed[k]:.2f}" if seed else ""]
        body.append(cells)
    avg = ["Avg."]
    for k, col in enumerate(columns(rows)):
        avg += [f"{np.mean([np.mean(acc[(col, n)]) for n in sizes]):.2f}", f"{TABLE7_AVG[k]:.2f}"]
    return body, avg


def render(rows: list[dict], context: dict) -> dict[str, str]:
    first, seeds = rows[0], sorted({r["split_seed"] for r in rows})
    body, avg = table7_rows(rows)
    caption = (f"Supermarket Produce accuracy (%), mean ± population std over {len(seeds)} stratified splits "
               f"(seeds {', '.join(map(str, seeds))}; {first['n_train']} training / {first['n_test']} test images). "
               f"Features of {first['backbone']}: the pre-prediction layer "
               f"({first['global_node']}) alone or concatenated with a block's output ({first['pooling']} pooled); "
               f"each descriptor {first['align']}d on the training split, then PCA (training split) and a linear SVM "
               f"(C={first['C']:g}). {context['preprocessing']}. Profile {context['profile']}, seed {context['seed']}, "
               f"commit {context['commit']}. Seed values: {TABLE7_SOURCE}.")
    return render_pair("space_table", title="Multi-layer fusion on Supermarket Produce", seed_ref="Table 7",
                       keys=["Features"], spaces=[COLUMN_LABELS[c] for c in columns(rows)], rows=body + [avg],
                       protocol=caption, features="", note="Higher is better", label="tab:fusion")


def render_transferability(summary: dict) -> dict[str, str]:
    """Each column's mean accuracy over sizes and splits beside LogME and H-score of its fused descriptor,
    and the rank correlation of each measure with that accuracy over the columns."""
    from ..methods.rank import rank_correlation, signed
    from ..methods.registry import MEASURES

    transfer, accuracy = summary.get("transferability", {}), summary["fusion"]
    if not transfer:
        return {}
    cols = [c for c in COLUMN_LABELS if c in transfer]
    measures = [m for m in MEASURES if m in transfer[cols[0]]]
    mean = {c: float(np.mean(list(accuracy[c].values()))) for c in cols}
    rows = [[COLUMN_LABELS[c], f"{mean[c]:.2f}"] + [f"{transfer[c][m]:.4g}" for m in measures] for c in cols]
    for m in measures:
        score, acc = [transfer[c][m] for c in cols], [mean[c] for c in cols]
        tau, rho = rank_correlation(score, acc)
        rows.append([f"{MEASURES.label(m)} vs accuracy (n = {len(cols)})", "", f"tau {signed(tau)}, rho {signed(rho)}"]
                    + [""] * (len(measures) - 1))
    return render_pair("plain_table", rows=rows, header=["Features", "Accuracy (%)"] + [MEASURES.label(m) for m in measures],
                       label="tab:fusion-transferability", align="lr" + "r" * len(measures),
                       caption="Supermarket Produce: LogME and H-score of each Table 7 column's descriptor (aligned, "
                               "before PCA), beside its accuracy averaged over PCA sizes and splits, and their rank "
                               "correlation with it over the columns")


def plot_accuracy(rows: list[dict], stem: Path) -> list[Path]:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
    sizes = sorted({r["n_components"] for r in rows})
    for k, col in enumerate(columns(rows)):
        acc = [[100 * r["accuracy"] for r in rows if r["column"] == col and r["n_components"] == n] for n in sizes]
        line = ax.errorbar(sizes, [np.mean(a) for a in acc], yerr=[np.std(a) for a in acc], marker="o", capsize=3,
                           label=f"{COLUMN_LABELS[col]} (ours)")
        ax.plot(sorted(TABLE7), [TABLE7[n][k] for n in sorted(TABLE7)], "--", color=line[0].get_color(), alpha=0.5,
                label=f"{COLUMN_LABELS[col]} (seed)")
    ax.set(xlabel="features after PCA", ylabel="accuracy (%)", xticks=sizes)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return save_figure(fig, stem)


def plot_history(history: list[dict], stem: Path) -> list[Path]:
    plt = pyplot()
    epochs = [h["epoch"] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    for split in ("train", "val"):
        name = "held-out" if split == "val" else split
        a.plot(epochs, [h[f"{split}_loss"] for h in history], marker="o", label=name)
        b.plot(epochs, [100 * h[f"{split}_accuracy"] for h in history], marker="o", label=name)
    a.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    b.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (a, b):
        ax.grid(alpha=0.3)
        ax.legend()
    return save_figure(fig, stem)


def gated_metrics(params) -> list:
    """Mean accuracy per column and size, and the fine-tuned network's final held-out accuracy."""
    from .. import paths
    from ..io import read_json, read_jsonl
    from .experiments import Metric

    out = []
    summary, history = params.resolve_path(paths.FUSION_SUMMARY), params.resolve_path(paths.FINETUNE_HISTORY)
    if summary.is_file():
        data = read_json(summary)
        out += [Metric(f"fusion/{col}/{n}", v, "accuracy") for col, sizes in data["fusion"].items() for n, v in sizes.items()]
        out += [Metric(f"fusion/{col}/{m}", v, m) for col, values in data.get("transferability", {}).items()
                for m, v in values.items()]
    if history.is_file():
        out.append(Metric("finetune/val_accuracy", round(100 * read_jsonl(history)[-1]["val_accuracy"], 4), "accuracy"))
    return out


EXPERIMENTS.implement("fusion", gated_metrics)
