"""Seed Table 6 (the PH2 layer sweep): our means beside the published ones, and its figure.

Records stay long-form (one row per fold) until here; aggregation happens at render time."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from ..methods.registry import MEASURES, PROTOCOLS, TASKS
from ..models.specs import BACKBONES
from ..records import Ph2Fold, Ph2Records
from .captions import BEYOND_MARK, data_text, math_label
from .experiments import EXPERIMENTS
from .figures import TEXT_WIDTH, new_figure, outside_legend, save_figure, series_style
from .outputs import INTERVAL_BOUNDS
from .paper_values import TABLE6
from .render import PM, Column, Section, Table, join
from .report import ExperimentReport


def fold_frame(folds: list[Ph2Fold]) -> pd.DataFrame:
    """The fold rows as one table, a column per `Ph2Fold` field."""
    return pd.DataFrame([asdict(f) for f in folds], columns=[f.name for f in fields(Ph2Fold)])


def backbone_label(name: str) -> str:
    """A sweep's label: the backbone's, `+ TTA` for a test-time augmented sweep (key `<backbone>+tta`)."""
    base = name.removesuffix("+tta")
    label = BACKBONES.label(base) if base in BACKBONES else base
    return label + (" + TTA" if name.endswith("+tta") else "")


def section_label(name: str, beyond=()) -> str:
    return backbone_label(name) + (BEYOND_MARK if name in beyond else "")


@dataclass
class Ph2Context:
    profile: str
    seed: int
    preprocessing: dict[str, str] = field(default_factory=dict)
    synthetic: bool = False
    published: object = ""  # caption piece naming (or citing) the published values
    beyond: tuple[str, ...] = ()  # sweeps beyond the seed (Params.ph2_beyond), marked in the tables
    beyond_source: str = "ph2.beyond"  # the parameter that set them
    alpha: float = 0.05  # a layer is bold unless the corrected resampled t-test says it is worse than the best


def _mean_std(values: pd.Series) -> tuple[float, float, int]:
    """Mean and sample std (n - 1) in %, and n."""
    a = values.to_numpy(dtype=float) * 100
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0, len(a)


def _pooled(folds: pd.DataFrame) -> float | None:
    """The pooled balanced accuracy (%) of a protocol's out-of-fold predictions (older records lack it)."""
    if "pooled_balanced_accuracy" not in folds or folds.pooled_balanced_accuracy.isna().any():
        return None
    return 100 * float(folds.pooled_balanced_accuracy.iloc[0])


def protocol_header(protocol: str) -> str:
    """What the mean over the protocol's folds is, and the protocol: "accuracy, folds as published"."""
    return f"{MEASURES[PROTOCOLS[protocol].measure].label.removesuffix(' (%)')}, {PROTOCOLS[protocol].label}"


def ours_by_layer(sub: pd.DataFrame, protocols: list[str]) -> dict[tuple[str, int], dict]:
    ours = {}
    for (bb, layer), g in sub.groupby(["backbone", "layer"], sort=False):
        first = g.iloc[0]
        ours[(bb, int(layer))] = {
            "node": first.node, "n_features": int(first.n_features), "variance": 100 * float(first.variance_fraction),
            "scores": {p: _mean_std(g[g.protocol == p].balanced_accuracy) for p in protocols},
            "pooled": {p: _pooled(g[g.protocol == p]) for p in protocols},
        }
    return ours


def _keys_by_backbone(ours: dict, with_published: bool = True) -> dict[str, list[tuple[str, int]]]:
    """(backbone, layer) keys per section: ours, then (with_published) the published CNNs' too."""
    published = list(TABLE6) if with_published else []
    backbones = list(dict.fromkeys([k[0] for k in ours] + [k[0] for k in published]))
    return {bb: sorted({k for k in list(ours) + published if k[0] == bb}, key=lambda k: -k[1]) for bb in backbones}


def not_worse_than_best(folds: pd.DataFrame, alpha: float) -> set[int]:
    """The layers of one CNN, task and protocol that the corrected resampled t-test (Nadeau and Bengio 2003)
    does not find worse than the best layer at level `alpha`, the best included: they share its folds, so
    the test pairs them fold by fold, its variance inflated for the folds' overlapping training sets."""
    from ..methods.uncertainty import corrected_resampled_t

    scores = folds.pivot_table(index="fold", columns="layer", values="balanced_accuracy")
    best = scores.mean().idxmax()
    ratio = float((folds.n_test / folds.n_train).mean())
    tied = {int(best)}
    for layer in scores.columns:
        t, p = corrected_resampled_t((scores[best] - scores[layer]).to_numpy(), ratio)
        if not (t > 0 and p < alpha):
            tied.add(int(layer))
    return tied


def ph2_table_rows(df: pd.DataFrame, task: str, beyond=(), alpha: float = 0.05,
                   with_published: bool = True) -> tuple[list, list[str]]:
    """Rows of one task's Table 6 comparison (a section per CNN): per protocol the mean ± sample std over
    the folds and the pooled BA (one decimal: one PH2 image of 200 moves a fold mean by 0.5), then (with_published)
    the published mean ± std and Δ = ours (folds as published) - published."""
    sub = df[df.task == task]
    protocols = [p for p in PROTOCOLS if p in set(sub.protocol)]
    ours = ours_by_layer(sub, protocols)
    rows = []
    for bb, keys in _keys_by_backbone(ours, with_published).items():
        rows.append(Section(section_label(bb, beyond)))
        in_ours = [k for k in keys if k in ours]
        bold = {p: not_worse_than_best(sub[(sub.backbone == bb) & (sub.protocol == p)], alpha) if in_ours else set()
                for p in protocols}
        for key in keys:
            o, s = ours.get(key), TABLE6.get(key)
            cells = [str(key[1])]
            for p in protocols:
                if o:
                    m, sd, _ = o["scores"][p]
                    pooled = o["pooled"][p]
                    cells += [
                        PM(f"{m:.1f}", f"{sd:.1f}", bold=key[1] in bold[p]),
                        "" if pooled is None else f"{pooled:.1f}",
                    ]
                else:
                    cells += [None, None]
            if with_published:
                cells.append(PM(f"{s[2]:.1f}", f"{s[3]:.2f}") if s else None)
                paper = o and s and protocols and protocols[0] == "paper"
                cells.append(f"{o['scores']['paper'][0] - s[2]:+.1f}" if paper else None)
            rows.append(cells)
    return rows, protocols


def feature_rows(df: pd.DataFrame, beyond=(), with_published: bool = True) -> list:
    """Per CNN and layer: node, feature count and % of features with variance, ours beside the published."""
    ours = ours_by_layer(df[df.task == df.task.iloc[0]], [])
    rows = []
    for bb, keys in _keys_by_backbone(ours, with_published).items():
        rows.append(Section(section_label(bb, beyond)))
        for key in keys:
            o, s = ours.get(key), TABLE6.get(key)
            rows.append(
                [
                    str(key[1]),
                    o["node"] if o else None,
                    str((o or {}).get("n_features") or s[0]),
                    f"{o['variance']:.1f}" if o else None,
                ]
                + ([f"{s[1]:.1f}" if s else None] if with_published else [])
            )
    return rows


def _protocol_caption(protocols: list[str], first) -> str:
    return (
        f"Linear SVM (C = {float(first.C):g}, {'standardized' if bool(first.standardize) else 'raw'} features), "
        f"{int(first.n_folds)}-fold CV; per protocol the mean ± sample std (n = {int(first.n_folds)} folds) of the "
        f"folds' scores and the balanced accuracy of all out-of-fold predictions pooled (pooled). "
        + " ".join(f"{protocol_header(p)[0].upper()}{protocol_header(p)[1:]}: {PROTOCOLS[p].help}." for p in protocols)
    )


def beyond_text(beyond, source: str = "ph2.beyond") -> str:
    if not beyond:
        return ""
    return (f" {BEYOND_MARK} Beyond the seed ({source}): " + ", ".join(backbone_label(b) for b in beyond) +
            "; each at its own input size and preprocessing above, + TTA: features averaged over the image and the "
            "views named there.")


def _parts(df: pd.DataFrame, beyond) -> list[tuple[str, pd.DataFrame, bool]]:
    """(stem suffix, records, with the published values) of the seed's sweeps and, apart, those beyond it:
    together they ran past a page."""
    seed, extra = df[~df.backbone.isin(list(beyond))], df[df.backbone.isin(list(beyond))]
    return [("", seed, True)] + ([("_beyond", extra, False)] if len(extra) else [])


def feature_tables(df: pd.DataFrame, ctx: Ph2Context, caption, methods) -> list[Table]:
    """`caption(with_published)`: the seed's sweeps sit beside the published values, those beyond it do not."""
    tables = []
    for suffix, part, published in _parts(df, ctx.beyond):
        columns = [Column("Layer"), Column("Node", "l"), Column("Features")]
        columns += (
            [Column("ours", group="Var. (%)"), Column("publ.", group="Var. (%)")] if published else [Column("Var. (%)")]
        )
        short = "PH2 layer sweep: features per layer" + (", beyond the seed†" if suffix else "")
        tables.append(
            Table(
                f"ph2_features{suffix}",
                short,
                caption(published),
                columns,
                feature_rows(part, ctx.beyond, published),
                wide=False,
                methods=methods,
            )
        )
    return tables


def layer_tables(df: pd.DataFrame, task: str, ctx: Ph2Context, caption, methods) -> list[Table]:
    tables = []
    for suffix, part, published in _parts(df, ctx.beyond):
        rows, protocols = ph2_table_rows(part, task, ctx.beyond, ctx.alpha, published)
        columns = [Column("Layer")]
        for p in protocols:
            columns += [
                Column(MEASURES[PROTOCOLS[p].measure].label.removesuffix(" (%)"), pm=True, group=PROTOCOLS[p].label),
                Column("pooled", group=PROTOCOLS[p].label),
            ]
        columns += [Column("Published", pm=True), Column("Δ")] if published else []
        delta = published and any(r[-1] is not None for r in rows if not isinstance(r, Section))
        if published and not delta:  # no CNN both here and in the publication: an empty Δ column
            columns, rows = columns[:-1], [r if isinstance(r, Section) else r[:-1] for r in rows]
        short = f"PH2 layer sweep, {TASKS[task].label} (%)" + (", beyond the seed†" if suffix else "")
        tables.append(Table(f"ph2_layers_{task}{suffix}", short, caption(published, delta), columns, rows, wide=True,
                            methods=methods))
    return tables


def render_ph2_tables(records: list[Ph2Fold], ctx: Ph2Context) -> list[Table]:
    df = fold_frame(records)
    first = df.iloc[0]
    data = data_text(ctx.synthetic, "PH2 (Mendonça et al. 2013)")
    prep = " ".join(f"{backbone_label(k)}: {v}." for k, v in sorted(ctx.preprocessing.items()))
    provenance = f"{prep} Profile {ctx.profile}, random seed {ctx.seed}." + beyond_text(ctx.beyond, ctx.beyond_source)
    protocols = [p for p in PROTOCOLS if p in set(df.protocol)]
    def features_caption(published: bool):
        return join("Per layer (Keras-style index, −1: prediction layer): the torch node, feature count and % of "
                    "features with non-zero variance.", data + ".", ctx.published if published else "")

    def layers_caption(published: bool, delta: bool):
        return join(f"Linear SVM, {int(first.n_folds)}-fold CV: mean ± sample std; pooled: out-of-fold balanced "
                    f"accuracy. Higher is better. Bold: not worse than the best layer (corrected resampled t-test, "
                    f"α = {ctx.alpha:g}).", "Δ = ours (folds as published) − published." if delta else "",
                    data + ".", ctx.published if published else "")

    tables = feature_tables(df, ctx, features_caption, provenance)
    methods = join(_protocol_caption(protocols, first), provenance,
                   "The publication does not state its task, nor whether its folds were stratified (its 0.5-point grid "
                   "also fits stratified folds scored by accuracy). Bold: the corrected resampled t-test (Nadeau and "
                   "Bengio 2003) pairs the folds and inflates the variance for their overlapping training sets.")
    for task in (t for t in TASKS if t in set(df.task)):
        tables += layer_tables(df, task, ctx, layers_caption, methods)
    return tables


def sweep_curves(records: list[Ph2Fold]) -> dict[tuple[str, str, str], pd.DataFrame]:
    """(backbone, task, protocol) -> mean and sample std (%) per layer, layers from -2 down."""
    df = fold_frame(records)
    out = {}
    for (bb, task, protocol), g in df.groupby(["backbone", "task", "protocol"], sort=False):
        agg = g.groupby("layer").balanced_accuracy.agg(["mean", lambda v: v.std(ddof=1)]) * 100
        agg.columns = ["mean", "std"]
        out[(bb, task, protocol)] = agg.sort_index(ascending=False)
    return out


def plot_ph2_layers(records: list[Ph2Fold], out_stem: Path, title_suffix: str = "", beyond=()) -> list[Path]:
    """Score vs layer, one panel per task: a colour and marker per CNN, a line style per protocol (ours with
    ± sample std clipped to [0, 100]), the published dotted with open markers; the text wide, legend below."""
    curves = sweep_curves(records)
    tasks = [t for t in TASKS if any(k[1] == t for k in curves)]
    backbones = list(dict.fromkeys([k[0] for k in curves] + [k[0] for k in TABLE6]))
    protocols = list(dict.fromkeys(k[2] for k in curves))
    fig, axes = new_figure(TEXT_WIDTH, 3.2, 1, len(tasks), sharey=True)
    for ax, task in zip(axes[0], tasks):
        groups = [(k, v) for k, v in curves.items() if k[1] == task]
        for n, ((bb, _, protocol), agg) in enumerate(groups):
            style = series_style(backbones.index(bb))
            dodge = 0.06 * (n - (len(groups) - 1) / 2)  # keep error bars apart
            mean, std = agg["mean"].to_numpy(), agg["std"].fillna(0).to_numpy()
            yerr = np.vstack([np.minimum(std, mean), np.minimum(std, 100 - mean)])  # scores live in [0, 100]
            ax.errorbar(agg.index + dodge, mean, yerr=yerr, color=style["color"], marker=style["marker"], capsize=2,
                        linestyle=("-", "--", "-.")[protocols.index(protocol) % 3], elinewidth=0.6,
                        label=f"{section_label(bb, beyond)}, {protocol_header(protocol)}")
        for bb in dict.fromkeys(k[0] for k in TABLE6):
            style = series_style(backbones.index(bb))
            layers = sorted((k[1] for k in TABLE6 if k[0] == bb), reverse=True)
            ax.plot(layers, [TABLE6[(bb, l)][2] for l in layers], linestyle=":", color=style["color"],
                    marker=style["marker"], mfc="none", label=f"{backbone_label(bb)}, published")
        ax.set_title(TASKS[task].label)
        ax.set_xlabel("layer (Keras-style index)")
        ax.set_ylim(top=100)
        ax.invert_xaxis()
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("mean over folds (%)")
    fig.suptitle("PH2 layer sweep" + title_suffix)
    outside_legend(fig, axes[0], ncol=2)
    return save_figure(fig, out_stem)


def sweep_plot_rows(records: list[Ph2Fold]) -> dict[str, tuple[list[str], list[list]]]:
    """`dvc plots` data: per backbone and task, the mean per layer for each protocol and the published one."""
    curves, out = sweep_curves(records), {}
    for bb, task in dict.fromkeys((k[0], k[1]) for k in curves):
        protocols = [p for (b, t, p) in curves if (b, t) == (bb, task)]
        layers = list(curves[(bb, task, protocols[0])].index)
        rows = [[int(l)] + [round(float(curves[(bb, task, p)].loc[l, "mean"]), 4) for p in protocols] for l in layers]
        header = ["layer", *protocols]
        if all((bb, int(l)) in TABLE6 for l in layers):
            rows, header = [r + [TABLE6[(bb, r[0])][2]] for r in rows], header + ["published"]
        out[f"{bb}__{task}"] = (header, rows)
    return out


def metrics(records: Ph2Records, params) -> dict[str, float]:
    """Per CNN, layer, task and protocol: the mean over the folds (measured as the protocol says), its sample
    std and the pooled balanced accuracy; the layer-ranking measures and LEEP."""
    summary, out = records.summary, {}
    for bb, layers in summary["ph2_layers"].items():
        for layer, tasks in layers.items():
            for task, protocols in tasks.items():
                for protocol, v in protocols.items():
                    name = f"ph2/{bb}/{layer}/{task}/{protocol}"
                    out |= {f"{name}/{PROTOCOLS[protocol].measure}": v["mean"], f"{name}/std": v["std"],
                            f"{name}/pooled_balanced_accuracy": v["pooled_balanced_accuracy"]}
                    if "ci" in v:
                        out |= {
                            f"{name}/{PROTOCOLS[protocol].measure}/{b}": x for b, x in zip(INTERVAL_BOUNDS, v["ci"])
                        }
    out |= {f"ph2/{bb}/{layer}/{task}/{m}": v for bb, layers in summary.get("transferability", {}).items()
            for layer, tasks in layers.items() for task, values in tasks.items() for m, v in values.items()}
    return out


def _measures_of(transfer: dict) -> list[str]:
    layers = [v for k, v in transfer.items() if k != "source_model"]
    return [m for m in MEASURES if layers and any(m in values for v in layers for values in v.values())]


def transferability_tables(summary: dict, task: str, beyond=()) -> tuple[list, list]:
    """For one task, per backbone and layer: the CV means beside LogME and H-score; and per measure and protocol
    the rank correlation with the CV mean over the layers and whether both pick the same top layer."""
    from ..methods.rank import p_value, rank_correlation, signed
    from ..methods.uncertainty import rank_correlation_p

    values, summary_rows = [], []
    for bb, transfer in summary.get("transferability", {}).items():
        layers = [k for k in transfer if k != "source_model"]
        cells = {layer: summary["ph2_layers"][bb][layer].get(task) for layer in layers}
        if not all(cells.values()):
            continue
        values.append(Section(section_label(bb, beyond)))
        summary_rows.append(Section(section_label(bb, beyond)))
        protocols = [p for p in PROTOCOLS if p in cells[layers[0]]]
        leep = transfer.get("source_model", {}).get(task, {}).get("leep")
        for layer in layers:
            values.append([layer] + [f"{cells[layer][p]['mean']:.1f}" for p in protocols]
                          + [f"{transfer[layer][task][m]:.4g}" for m in _measures_of(transfer)])
        for m in _measures_of(transfer):
            score = [transfer[layer][task][m] for layer in layers]
            for p in protocols:
                cv = [cells[layer][p]["mean"] for layer in layers]
                tau, rho = rank_correlation(score, cv)
                p_tau = rank_correlation_p(score, cv)[0]
                summary_rows.append([MEASURES.label(m), p, str(len(layers)), signed(tau), signed(rho), p_value(p_tau),
                                     same_top_text(score, cv, layers), "" if leep is None else f"{leep:.3f}"])
    return values, summary_rows


def same_top_text(score: list[float], cv: list[float], layers: list[str]) -> str:
    """Whether both pick the same best layer: "tie" when either side's best is tied (argmax would pick one)."""
    if max(score) in sorted(score)[:-1] or max(cv) in sorted(cv)[:-1]:
        return "tie"
    return "yes" if layers[int(np.argmax(score))] == layers[int(np.argmax(cv))] else "no"


def render_transferability(summary: dict, provenance: str = "", beyond=()) -> list[Table]:
    """Per task: the measures beside the CV means, and how well they rank the layers (one table of both
    tasks ran past a page)."""
    from ..methods.rank import permutation_text
    from ..methods.uncertainty import EXACT_UP_TO

    if not summary.get("transferability"):
        return []
    transfer = next(iter(summary["transferability"].values()))
    protocols = [p for p in PROTOCOLS if any(p in t for l in summary["ph2_layers"].values() for x in l.values()
                                             for t in x.values())]
    columns = [Column("Layer")] + [Column(p, group="CV mean (%)") for p in protocols] + \
        [Column(math_label(MEASURES.label(m)), group="Measures") for m in _measures_of(transfer)]
    methods = join("LogME (You et al. 2021), H-score (Bao et al. 2019) and its Ledoit-Wolf variant (Ibrahim et al. "
                   "2022) are computed on the features and labels alone; LEEP (Nguyen et al. 2020) scores the "
                   "backbone's ImageNet head, once per backbone and task. CV means per protocol (paper: folds as "
                   "published; stratified: stratified CV).", permutation_text(len(transfer) - 1, EXACT_UP_TO),
                   provenance)
    data = provenance.split(". ")[0] + "."
    tables = []
    for task in TASKS:
        values, correlations = transferability_tables(summary, task, beyond)
        if not values:
            continue
        tables += [Table(f"ph2_transferability_{task}",
                         f"PH2, {TASKS[task].label}: layer-ranking measures beside the CV means",
                         join("Higher is better for every measure.", data), columns, values, wide=True,
                         methods=methods),
                   Table(f"ph2_transferability_summary_{task}",
                         f"PH2, {TASKS[task].label}: do the measures rank the layers as CV does?",
                         join(SUMMARY_CAPTION, data), SUMMARY_COLUMNS, correlations, wide=True, methods=methods)]
    return tables


SUMMARY_CAPTION = ("Kendall's τ and Spearman's ρ between each measure and the CV mean over the n layers, with the "
                   "permutation p of τ; Same top: the measure's best layer is the CV's (“tie”: a best layer is tied).")
SUMMARY_COLUMNS = [Column("Measure", "l"), Column("CV", "l"), Column("n"), Column("τ"), Column("ρ"), Column("p"),
                   Column("Same top", "c"), Column("LEEP")]


def beyond_models(params) -> tuple[str, ...]:
    return tuple(key for key, _, _, beyond in params.ph2_models() if beyond)


def beyond_source(params) -> str:
    return f"profiles.{params.profile}.ph2_beyond" if params.settings.ph2_beyond else "ph2.beyond"


def context(records: Ph2Records, params) -> Ph2Context:
    from .captions import published
    from .paper_values import TABLE6_SOURCE

    return Ph2Context(profile=params.profile, seed=params.seed, synthetic=params.settings.synthetic,
                      preprocessing=records.summary["provenance"]["preprocessing"],
                      published=published(TABLE6_SOURCE, params.model.report.cite.get("ph2")),
                      beyond=beyond_models(params), beyond_source=beyond_source(params),
                      alpha=params.model.uncertainty.alpha)


def tables(records: Ph2Records, params) -> list[Table]:
    ctx = context(records, params)
    provenance = f"{data_text(ctx.synthetic, 'PH2')}. Profile {params.profile}, random seed {params.seed}."
    return render_ph2_tables(records.folds, ctx) + render_transferability(records.summary, provenance, ctx.beyond)


def figures(records: Ph2Records, params, folder: Path, suffix: str) -> None:
    plot_ph2_layers(records.folds, folder / "ph2_layers", suffix, beyond_models(params))


def plots(records: Ph2Records, params) -> dict[str, tuple[list[str], list[list]]]:
    return sweep_plot_rows(records.folds)


def provenance(records: Ph2Records, params) -> tuple[dict, dict]:
    recorded = records.summary["provenance"]
    return {"preprocessing": recorded["preprocessing"], "tasks": recorded["tasks"]}, recorded.get("versions")


REPORT = ExperimentReport("ph2", Ph2Records.load, tables, figures, plots, metrics, provenance)
EXPERIMENTS.implement("ph2", REPORT)
