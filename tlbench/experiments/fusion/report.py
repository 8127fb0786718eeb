"""Stage fusion_report: seed Table 7 beside ours, the accuracy-vs-features figure and the
fine-tuning curves."""
from __future__ import annotations

from ... import paths
from ...io import git_commit, read_json, read_jsonl
from ...params import Params
from ..stage import main


def run(params: Params, progress: bool = True) -> None:
    from ...reporting import fusion
    from ...reporting.render import write_pair

    rows = read_jsonl(params.resolve_path(paths.FUSION_RESULTS))
    context = {"profile": params.profile, "seed": params.seed, "commit": git_commit(params.root_dir),
               "preprocessing": read_json(params.resolve_path(paths.FUSION_SUMMARY))["preprocessing"]}
    for path in write_pair(params.resolve_path(paths.tables("fusion")), "fusion", fusion.render(rows, context)):
        print(f"wrote {path}")
    transfer = fusion.render_transferability(read_json(params.resolve_path(paths.FUSION_SUMMARY)))
    for path in write_pair(params.resolve_path(paths.tables("fusion")), "fusion_transferability", transfer) if transfer else []:
        print(f"wrote {path}")
    figures = params.resolve_path(paths.figures("fusion"))
    fusion.plot_accuracy(rows, figures / "fusion_accuracy")
    fusion.plot_history(read_jsonl(params.resolve_path(paths.FINETUNE_HISTORY)), figures / "finetune_curves")


if __name__ == "__main__":
    raise SystemExit(main(run))
