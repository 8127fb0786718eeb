"""Stage recipes_report: the recipes' table and their training curves."""
from __future__ import annotations

from ... import paths
from ...io import git_commit, read_json
from ...params import Params
from ..stage import main


def run(params: Params, progress: bool = True) -> None:
    from ...reporting import recipes
    from ...reporting.render import write_pair

    out = read_json(params.resolve_path(paths.RECIPES_RESULTS))
    for path in write_pair(params.resolve_path(paths.tables("recipes")), "recipes",
                           recipes.render(out, git_commit(params.root_dir))):
        print(f"wrote {path}")
    recipes.plot_curves(out, params.resolve_path(paths.figures("recipes")) / "recipes_curves")


if __name__ == "__main__":
    raise SystemExit(main(run))
