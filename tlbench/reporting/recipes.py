"""The table and curves of the seed's teaching recipes."""
from __future__ import annotations

from pathlib import Path

from ..records import RecipesRecords
from .captions import data_text
from .experiments import EXPERIMENTS
from .figures import COLUMN_WIDTH, new_figure, outside_legend, save_figure, series_style
from .render import PM, Column, Table, join
from .report import ExperimentReport


def render(out: RecipesRecords, folds: int) -> Table:
    n_test = out.n_test
    rows = [[r.recipe, r.what, r.metric,
             PM(f"{100 * r.mean:.1f}", "" if r.std is None else f"{100 * r.std:.1f}")] for r in out.results]
    data = data_text(out.synthetic, "CIFAR-10 (Krizhevsky 2009)")
    caption = join(
        f"On a {100 * out.fraction:g} % stratified subsample; CV accuracy: mean ± sample std over n = {folds} "
        "folds of the training images. Higher is better.",
        f"{data}.",
    )
    methods = join(
        f"{out.n_train} training, {n_test} test images (one test image is {100 / n_test:.2f} points). "
        f"Backbone {out.backbone}: {out.preprocessing}.",
        f"Profile {out.profile}, random seed {out.seed}.",
    )
    return Table("recipes", "The seed's teaching recipes: accuracy (%)", caption,
                 [Column("Recipe", "l"), Column("What", "p{0.5\\linewidth}"), Column("Metric", "l"),
                  Column("Ours", pm=True)], rows, wide=True, methods=methods)


def plot_curves(out: RecipesRecords, stem: Path, title_suffix: str = "") -> list[Path]:
    """The softmax head's accuracy per epoch (training and test) and the autoencoder's loss: a column wide."""
    fig, axes = new_figure(COLUMN_WIDTH, 2.2, 1, 2)
    a, b = axes[0]
    h = out.finetune_history
    for i, (key, name) in enumerate((("train_accuracy", "train"), ("val_accuracy", "test"))):
        a.plot([x["epoch"] for x in h], [100 * x[key] for x in h], **series_style(i), label=name)
    a.set(title="new softmax head", xlabel="epoch", ylabel="accuracy (%)", ylim=(0, 100))
    b.plot(range(1, len(out.autoencoder_loss) + 1), out.autoencoder_loss, **series_style(2))
    b.set(title="autoencoder", xlabel="epoch", ylabel="reconstruction MSE")
    for ax in (a, b):
        ax.grid(alpha=0.3)
    fig.suptitle("Teaching recipes" + title_suffix)
    outside_legend(fig, [a], ncol=2)
    return save_figure(fig, stem)


def plot_rows(out: RecipesRecords) -> dict[str, tuple[list[str], list[list]]]:
    """`dvc plots` data: the softmax head's accuracy per epoch and the autoencoder's loss per epoch."""
    h = out.finetune_history
    return {"finetune_history": (["epoch", "train_accuracy", "val_accuracy"],
                                 [[x["epoch"], round(x["train_accuracy"], 6), round(x["val_accuracy"], 6)] for x in h]),
            "autoencoder_loss": (["epoch", "loss"], [[k + 1, v] for k, v in enumerate(out.autoencoder_loss)])}


def metrics(records: RecipesRecords, params) -> dict[str, float]:
    out = {}
    for r in records.results:
        out[f"recipes/{r.recipe}/accuracy"] = round(100 * r.mean, 4)
        if r.std is not None:
            out[f"recipes/{r.recipe}/std"] = round(100 * r.std, 4)
    return out


def tables(records: RecipesRecords, params) -> list[Table]:
    return [render(records, params.model.recipes.knn["folds"])]


def figures(records: RecipesRecords, params, folder: Path, suffix: str) -> None:
    plot_curves(records, folder / "recipes_curves", suffix)


def plots(records: RecipesRecords, params) -> dict[str, tuple[list[str], list[list]]]:
    return plot_rows(records)


def provenance(records: RecipesRecords, params) -> tuple[dict, dict]:
    return {"preprocessing": records.preprocessing, "weights": records.weights_id}, records.versions


REPORT = ExperimentReport("recipes", RecipesRecords.load, tables, figures, plots, metrics, provenance)
EXPERIMENTS.implement("recipes", REPORT)
