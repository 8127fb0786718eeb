"""Seed Table 7 (multi-layer fusion on Supermarket Produce) beside ours, its figure, and the
fine-tuning curves of the adapted network."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..records import FusionRecords, FusionSplit
from .captions import math_label
from .experiments import EXPERIMENTS
from .figures import COLUMN_WIDTH, new_figure, outside_legend, save_figure, series_style
from .paper_values import TABLE7, TABLE7_AVG
from .render import PM, Column, Table, join
from .report import ExperimentReport

COLUMN_LABELS = {"global": "Pre-prediction layer", "block1": "Fusion 1st block", "block2": "Fusion 2nd block",
                 "block3": "Fusion 3rd block"}  # in Table 7's order
SHORT_LABELS = {"global": "Global", "block1": "+ block 1", "block2": "+ block 2", "block3": "+ block 3"}


def columns(rows: list[FusionSplit]) -> list[str]:
    present = {r.column for r in rows}
    return [c for c in COLUMN_LABELS if c in present]


def accuracies(rows: list[FusionSplit]) -> dict[tuple[str, int], np.ndarray]:
    """(column, n_components) -> accuracy (%) per split."""
    acc: dict[tuple, list[float]] = {}
    for r in rows:
        acc.setdefault((r.column, r.n_components), []).append(100 * r.accuracy)
    return {k: np.array(v) for k, v in acc.items()}


def _std(a: np.ndarray) -> float:
    return float(a.std(ddof=1)) if len(a) > 1 else 0.0


def table7_rows(rows: list[FusionSplit]) -> list[list]:
    """Per size: ours mean ± sample std over the splits (one decimal) and the published value per column; then Avg."""
    acc, cols = accuracies(rows), columns(rows)
    sizes = sorted({r.n_components for r in rows}, reverse=True)
    body = []
    for n in sizes:
        cells: list = [str(n)]
        for k, col in enumerate(cols):
            a, seed = acc[(col, n)], TABLE7.get(n)
            cells += [PM(f"{a.mean():.1f}", f"{_std(a):.1f}"), f"{seed[k]:.2f}" if seed else None]
        body.append(cells)
    avg: list = ["Avg."]
    for k, col in enumerate(cols):
        avg += [PM(f"{np.mean([acc[(col, n)].mean() for n in sizes]):.1f}", ""), f"{TABLE7_AVG[k]:.2f}"]
    return body + [avg]


def render(rows: list[FusionSplit], context: dict) -> Table:
    first, seeds = rows[0], sorted({r.split_seed for r in rows})
    caption = join(f"Mean ± sample std over n = {len(seeds)} stratified splits. Global: the pre-prediction layer; "
                   "+ block k: fused with block k; PCA to the first column's size, then a linear SVM. "
                   "Higher is better.", f"{context['data']}.", context["published"])
    methods = join(
        f"Splits: seeds {', '.join(map(str, seeds))}; {first.n_train} training / {first.n_test} test images (one "
        f"test image moves a split's accuracy by {100 / first.n_test:.2f} points). Global: the pre-prediction layer "
        f"({first.global_node}) of {first.backbone} adapted on the source; + block k: concatenated with the k-th "
        f"block's output ({first.pooling} pooled). Each descriptor {first.align}d on the training split, then "
        f"PCA (training split) and a linear SVM (C = {first.C:g}).", f"{context['preprocessing']}.",
        f"Profile {context['profile']}, random seed {context['seed']}.")
    cols = [Column("Features")]
    for c in columns(rows):
        cols += [Column("ours", pm=True, group=SHORT_LABELS[c]), Column("publ.", group=SHORT_LABELS[c])]
    return Table("fusion", "Multi-layer fusion on Supermarket Produce: accuracy (%)", caption, cols, table7_rows(rows),
                 wide=True, tabcolsep="3pt", methods=methods)


def render_transferability(summary: dict, provenance: str = "") -> Table | None:
    """Each column's mean accuracy over sizes and splits beside LogME and H-score of its fused descriptor,
    and the rank correlation of each measure with that accuracy over the columns."""
    from ..methods.rank import p_value, rank_correlation, signed
    from ..methods.registry import MEASURES
    from ..methods.uncertainty import rank_correlation_p

    transfer, accuracy = summary.get("transferability", {}), summary["fusion"]
    if not transfer:
        return None
    cols = [c for c in COLUMN_LABELS if c in transfer]
    measures = [m for m in MEASURES if m in transfer[cols[0]]]
    mean = {c: float(np.mean(list(accuracy[c].values()))) for c in cols}
    rows = [[COLUMN_LABELS[c], f"{mean[c]:.1f}"] + [f"{transfer[c][m]:.4g}" for m in measures] for c in cols]
    correlation = []
    for m in measures:
        pair = [transfer[c][m] for c in cols], [mean[c] for c in cols]
        (tau, rho), p = rank_correlation(*pair), rank_correlation_p(*pair)[0]
        correlation.append(f"{MEASURES.label(m)}: τ = {signed(tau)} (p = {p_value(p)}), ρ = {signed(rho)}")
    caption = join("LogME and H-score of each fused descriptor beside its mean accuracy; rank correlation over the "
                   f"n = {len(cols)} columns:", "; ".join(correlation) + ".", provenance.split(". ")[0] + ".")
    methods = join("Measures on each descriptor as aligned, before PCA; accuracy averaged over PCA sizes and splits; "
                   f"p: exact two-sided permutation p-value of τ over all {len(cols)}! orderings.", provenance)
    return Table(
        "fusion_transferability",
        "Supermarket Produce: layer-ranking measures per descriptor",
        caption,
        [Column("Features", "l"), Column("Accuracy (%)")] + [Column(math_label(MEASURES.label(m))) for m in measures],
        rows,
        wide=True,
        methods=methods,
    )


def plot_accuracy(rows: list[FusionSplit], stem: Path, title_suffix: str = "") -> list[Path]:
    """Accuracy against the PCA size, one colour and marker per Table 7 column: ours solid with ± sample std,
    the published dashed in the same colour; a column wide, the legend below the axes."""
    fig, axes = new_figure(COLUMN_WIDTH, 3.0)
    ax, acc, sizes = axes[0][0], accuracies(rows), sorted({r.n_components for r in rows})
    for k, col in enumerate(columns(rows)):
        style = series_style(k)
        mean = np.array([acc[(col, n)].mean() for n in sizes])
        std = np.array([_std(acc[(col, n)]) for n in sizes])
        yerr = np.vstack([np.minimum(std, mean), np.minimum(std, 100 - mean)])
        ax.errorbar(sizes, mean, yerr=yerr, color=style["color"], marker=style["marker"], capsize=2,
                    label=f"{SHORT_LABELS[col]}, ours")
        ax.plot(sorted(TABLE7), [TABLE7[n][k] for n in sorted(TABLE7)], linestyle="--", color=style["color"],
                marker=style["marker"], mfc="none", alpha=0.7, label=f"{SHORT_LABELS[col]}, published")
    ax.set(xlabel="features after PCA", ylabel="accuracy (%)", xticks=sizes)
    ax.set_ylim(top=100)
    ax.grid(alpha=0.3)
    ax.set_title("Supermarket Produce" + title_suffix)
    outside_legend(fig, [ax], ncol=2)
    return save_figure(fig, stem)


def accuracy_plot_rows(rows: list[FusionSplit]) -> tuple[list[str], list[list]]:
    """`dvc plots` data: mean accuracy per PCA size, one column per Table 7 column."""
    acc, cols = accuracies(rows), columns(rows)
    sizes = sorted({r.n_components for r in rows})
    return ["n_components", *cols], [[n] + [round(float(acc[(c, n)].mean()), 4) for c in cols] for n in sizes]


def plot_history(history: list[dict], stem: Path, title_suffix: str = "") -> list[Path]:
    """Loss and accuracy per epoch of the fine-tuning, training and held-out split: a column wide."""
    fig, axes = new_figure(COLUMN_WIDTH, 2.2, 1, 2)
    a, b = axes[0]
    epochs = [int(h["epoch"]) for h in history]
    for i, split in enumerate(("train", "val")):
        style, name = series_style(i), "held-out" if split == "val" else split
        a.plot(epochs, [h[f"{split}_loss"] for h in history], **style, label=name)
        b.plot(epochs, [100 * h[f"{split}_accuracy"] for h in history], **style, label=name)
    a.set(xlabel="epoch", ylabel="cross-entropy", title="loss", xticks=epochs)
    b.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy", xticks=epochs, ylim=(0, 100))
    for ax in (a, b):
        ax.grid(alpha=0.3)
    fig.suptitle("Fine-tuning on Fruits-360" + title_suffix)
    outside_legend(fig, [a], ncol=2)
    return save_figure(fig, stem)


def metrics(records: FusionRecords, params) -> dict[str, float]:
    """Per column and size the mean accuracy over the splits, its sample std and the mean's bootstrap interval
    over the splits (`uncertainty`); the layer-ranking measures per column; the fine-tuned network's final
    held-out accuracy."""
    from ..methods.uncertainty import bootstrap_mean, seed_for
    from .outputs import INTERVAL_BOUNDS

    out: dict[str, float] = {}
    u = params.model.uncertainty
    for (col, n), a in accuracies(records.rows).items():
        out |= {f"fusion/{col}/{n}/accuracy": round(float(a.mean()), 4), f"fusion/{col}/{n}/std": round(_std(a), 4)}
        ci = bootstrap_mean(a, u.resamples, u.level, seed_for(params.seed, "fusion", col, str(n)))  # over the splits
        out |= {f"fusion/{col}/{n}/accuracy/{b}": round(x, 4) for b, x in zip(INTERVAL_BOUNDS, ci)}
    out |= {f"fusion/{col}/{m}": v for col, values in records.summary.get("transferability", {}).items()
            for m, v in values.items()}
    out["fusion/finetune/accuracy"] = round(100 * records.history[-1]["val_accuracy"], 4)
    return out


DATA = "Fruits-360 (Mureşan and Oltean 2018) to Supermarket Produce (Rocha et al. 2010)"


def tables(records: FusionRecords, params) -> list[Table]:
    from .captions import data_text, published
    from .paper_values import TABLE7_SOURCE

    data = data_text(params.settings.synthetic, DATA)
    context = {"profile": params.profile, "seed": params.seed, "preprocessing": records.summary["preprocessing"],
               "data": data, "published": published(TABLE7_SOURCE, params.model.report.cite.get("fusion"))}
    transfer = render_transferability(records.summary, f"{data}. Profile {params.profile}, random seed {params.seed}.")
    return [render(records.rows, context)] + ([transfer] if transfer else [])


def figures(records: FusionRecords, params, folder: Path, suffix: str) -> None:
    plot_accuracy(records.rows, folder / "fusion_accuracy", suffix)
    plot_history(records.history, folder / "finetune_curves", suffix)


def plots(records: FusionRecords, params) -> dict[str, tuple[list[str], list[list]]]:
    return {"accuracy": accuracy_plot_rows(records.rows)}


def provenance(records: FusionRecords, params) -> tuple[dict, dict]:
    from ..data.catalog import source_record

    archive = (source_record(params.dataset_root("fruits360")) or
               "not fetched by `tlbench data fetch`: no archive checksum recorded")
    return ({"preprocessing": records.summary["preprocessing"], "weights": records.rows[0].weights_id,
             "fruits360_archive": archive}, records.summary.get("versions"))


REPORT = ExperimentReport("fusion", FusionRecords.load, tables, figures, plots, metrics, provenance)
EXPERIMENTS.implement("fusion", REPORT)
