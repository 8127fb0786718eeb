"""Stage recipes_report: the recipes' table, their training curves and the curves' data for
`dvc plots`, the metrics file and the provenance."""
from __future__ import annotations

from ... import paths
from ...io import read_json, write_csv
from ...params import Params
from ..stage import main


def run(params: Params, progress: bool = True) -> None:
    from ...reporting import recipes
    from ...reporting.captions import figure_suffix
    from ...reporting.outputs import write_metrics, write_provenance
    from ...reporting.render import write_tables

    out = read_json(params.resolve_path(paths.RECIPES_RESULTS))
    for path in write_tables(params.resolve_path(paths.tables("recipes")),
                             [recipes.render(out, params.model.recipes.knn["folds"])]):
        print(f"wrote {path}")
    recipes.plot_curves(out, params.resolve_path(paths.figures("recipes")) / "recipes_curves",
                        figure_suffix(params.settings.synthetic))
    for stem, (header, rows) in recipes.plot_rows(out).items():
        write_csv(params.resolve_path(paths.plots("recipes")) / f"{stem}.csv", header, rows)
    write_metrics(params, "recipes")
    write_provenance(params, "recipes", {"preprocessing": out["preprocessing"], "weights": out["weights_id"]},
                     out.get("versions"))


if __name__ == "__main__":
    raise SystemExit(main(run))
