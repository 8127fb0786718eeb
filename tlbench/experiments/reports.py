"""Stage reports: reports/tables.tex and reports/README.md (the index)."""
from __future__ import annotations

from .. import paths
from ..io import atomic_write_text
from ..params import Params
from ..reporting import index
from .stage import main


def run(params: Params, progress: bool = True) -> None:
    root = params.root_dir
    written = [atomic_write_text(root / paths.TABLES_TEX, index.tables_tex(root)),
               atomic_write_text(root / paths.MAIN_TEX, index.part_tex(root, "main")),
               atomic_write_text(root / paths.SUPPLEMENT_TEX, index.part_tex(root, "supplement")),
               atomic_write_text(root / paths.METHODS_TEX, index.methods_tex(root)),
               atomic_write_text(root / paths.REPORTS_INDEX, index.readme(root, params.profile))]
    for path in written:
        print(f"wrote {path}")

if __name__ == "__main__":
    raise SystemExit(main(run))
