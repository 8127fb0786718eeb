"""The anomaly figures (EER heatmaps, ROC/DET curves per target, gap vs EER) and the ROC data for `dvc plots`."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...io import load_npy
from ...methods.registry import MEASURES, SPACES
from ..figures import TEXT_WIDTH, new_figure, outside_legend, save_figure, series_style
from .common import MAX_EER, label


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
    gaps = [m for m in MEASURES if MEASURES[m].computed_from == "domain" and m in rows[0]]
    fig, axes = new_figure(TEXT_WIDTH, 1.55 * len(gaps) + 0.4, len(gaps), len(spaces))
    for i, m in enumerate(gaps):
        for j, space in enumerate(spaces):
            cross = [r for r in rows if r["space"] == space and r["source"] != r["target"]]
            ax, x = axes[i][j], [r[m] for r in cross]
            ax.scatter(
                x, [r["eer"] for r in cross], s=9, color=series_style(j)["color"], marker=series_style(j)["marker"]
            )
            scale, options = axis_scale(x)
            ax.set_xscale(scale, **options)
            ax.set(xlabel=MEASURES.label(m), ylabel="EER (%)" if j == 0 else None,
                   title=SPACES.label(space) if i == 0 else None, ylim=(0, MAX_EER))
            ax.grid(alpha=0.3)
    fig.suptitle("Domain gap vs cross-domain EER" + title_suffix)
    return save_figure(fig, stem)


def plot_heatmaps(
    rows: list[dict], scenes: list[str], spaces: list[str], stem: Path, title_suffix: str = ""
) -> list[Path]:
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
