"""Stage reports: reports/tables.tex, the timing table and reports/README.md (the index)."""
from __future__ import annotations

from .. import paths
from ..io import atomic_write_text, git_commit
from ..params import Params
from ..reporting import index
from ..reporting.render import write_pair
from .stage import main


def run(params: Params, progress: bool = True) -> None:
    root = params.root_dir
    written = write_pair(root / paths.TABLES, "timings", index.timing_table(root, params.profile))
    written.append(atomic_write_text(root / paths.TABLES_TEX, index.tables_tex(root)))
    written.append(atomic_write_text(root / paths.REPORTS_INDEX, index.readme(root, params.profile, git_commit(root))))
    for path in written:
        print(f"wrote {path}")

if __name__ == "__main__":
    raise SystemExit(main(run))
