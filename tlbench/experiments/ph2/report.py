"""Stage ph2_report: seed Table 6 beside ours (LaTeX, Markdown) and the accuracy-vs-layer figure."""
from __future__ import annotations

from ... import paths
from ...errors import TlbenchError
from ...io import git_commit, read_json, read_jsonl
from ...params import Params
from ..stage import main


def run(params: Params, progress: bool = True) -> None:
    from ...reporting import ph2
    from ...reporting.render import write_pair

    folds, summary = params.resolve_path(paths.PH2_FOLDS), params.resolve_path(paths.PH2_SUMMARY)
    if not folds.is_file() or not summary.is_file():
        raise TlbenchError(f"{folds} not found: run the ph2_evaluate stage first (`dvc repro`)")
    rows = read_jsonl(folds)
    context = ph2.Ph2Context(profile=params.profile, seed=params.seed, commit=git_commit(params.root_dir),
                             preprocessing=read_json(summary)["provenance"]["preprocessing"],
                             synthetic=params.settings.synthetic)
    tex, md = ph2.render_ph2_tables(rows, context)
    for path in write_pair(params.resolve_path(paths.tables("ph2")), "ph2_layers", {"tex": tex, "md": md}):
        print(f"wrote {path}")
    for stem, texts in ph2.render_transferability(read_json(summary)).items():
        for path in write_pair(params.resolve_path(paths.tables("ph2")), stem, texts):
            print(f"wrote {path}")
    ph2.plot_ph2_layers(rows, params.resolve_path(paths.figures("ph2")) / "ph2_layers")


if __name__ == "__main__":
    raise SystemExit(main(run))
