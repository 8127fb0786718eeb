"""The table and curves of the seed's teaching recipes."""
from __future__ import annotations

from pathlib import Path

from .experiments import EXPERIMENTS
from .figures import pyplot, save_figure
from .render import render_pair


def render(out: dict, commit: str) -> dict[str, str]:
    rows = [[r["recipe"], r["what"], r["metric"],
             f"{100 * r['mean']:.2f} ± {100 * r['std']:.2f}" if "std" in r else f"{100 * r['mean']:.2f}"]
            for r in out["results"]]
    data = "the CIFAR-10 twin (demo profile)" if out["synthetic"] else "CIFAR-10"
    caption = (f"The seed's teaching recipes on a {100 * out['fraction']:g} % stratified subsample of {data} "
               f"({out['n_train']} training, {out['n_test']} test images, seed {out['seed']}); accuracy (%). "
               f"Backbone {out['backbone']}: {out['preprocessing']}. Profile {out['profile']}, commit {commit}")
    return render_pair("plain_table", caption=caption, rows=rows, header=["Recipe", "What", "Metric", "Ours"],
                       label="tab:recipes", align="lllr")


def plot_curves(out: dict, stem: Path) -> list[Path]:
    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.3), layout="constrained")
    h = out["finetune_history"]
    a.plot([x["epoch"] for x in h], [100 * x["train_accuracy"] for x in h], marker="o", label="train")
    a.plot([x["epoch"] for x in h], [100 * x["val_accuracy"] for x in h], marker="o", label="test")
    a.set(title="fine-tuning recipe: new softmax head", xlabel="epoch", ylabel="accuracy (%)")
    b.plot(range(1, len(out["autoencoder_loss"]) + 1), out["autoencoder_loss"], marker="o")
    b.set(title="autoencoder recipe", xlabel="epoch", ylabel="reconstruction MSE")
    for ax in (a, b):
        ax.grid(alpha=0.3)
    a.legend()
    return save_figure(fig, stem)


def gated_metrics(params) -> list:
    from .. import paths
    from ..io import read_json
    from .experiments import Metric

    path = params.resolve_path(paths.RECIPES_RESULTS)
    if not path.is_file():
        return []
    return [Metric(f"recipes/{r['recipe']}", round(100 * r["mean"], 4), "accuracy") for r in read_json(path)["results"]]


EXPERIMENTS.implement("recipes", gated_metrics)
