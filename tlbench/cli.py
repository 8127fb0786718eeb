"""`tlbench`: the user's commands, and every DVC stage by name (`tlbench ph2-extract` runs
`python -m tlbench.experiments.ph2.extract`)."""
from __future__ import annotations

import argparse
import pkgutil
import sys
from pathlib import Path

from .errors import TlbenchError


def stage_modules() -> dict[str, str]:
    """{command: module} for every stage module under tlbench/experiments (names only, nothing imported)."""
    root = Path(__file__).parent / "experiments"
    out = {}
    for info in pkgutil.walk_packages([str(root)], prefix="tlbench.experiments."):
        if not info.ispkg and not info.name.endswith(".stage"):
            out[info.name.removeprefix("tlbench.experiments.").replace(".", "-").replace("_", "-")] = info.name
    return out


def _layers(args) -> None:
    from .models.specs import BACKBONES, backbone

    names = [args.backbone] if args.backbone else list(BACKBONES)
    for name in names:
        spec = backbone(name)
        print(f"{spec.name} ({spec.weights_id}; input {spec.input_size}x{spec.input_size})")
        for l in spec.layers:
            print(f"  {l.index:>3}  {l.node:<22} {l.n_features:>7} features  {l.keras_name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tlbench", description=__doc__)
    parser.add_argument("--params", default="params.yaml", help="parameters file (default: params.yaml)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="check or fetch the datasets of the profile")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    data_sub.add_parser("check", help="found / missing / invalid for every dataset, with instructions")
    fetch = data_sub.add_parser("fetch", help="download and extract a public dataset archive")
    fetch.add_argument("name", help="fruits360, ucsd, york or cifar10")
    chk = sub.add_parser("check", help="regression gate: current metrics against the committed baseline")
    chk.add_argument("--update", action="store_true", help="rewrite the baseline from the current metrics")
    layers = sub.add_parser("layers", help="list the registered backbones and their layers")
    layers.add_argument("backbone", nargs="?")
    for command, module in stage_modules().items():
        stage = sub.add_parser(command, help=f"DVC stage: python -m {module}")
        stage.add_argument("args", nargs="*", help="the stage's arguments (e.g. a scene)")
    return parser


def _data(params, args) -> int:
    from .data import catalog

    if args.data_command == "check":
        rows = catalog.check(params)
        print(catalog.format_rows(rows, params.profile))
        return 1 if any(r.status in ("missing", "invalid") for r in rows) else 0
    print(f"{args.name}: ready at {catalog.fetch(params, args.name, progress=not args.no_progress)}")
    return 0


def _check(params, args) -> int:
    from .reporting.gate import check

    return check(params, update=args.update)


def _stage(args) -> int:
    import importlib

    from .experiments.stage import execute

    module = stage_modules()[args.command]
    run = importlib.import_module(module).run
    return execute(run, module, args.params, args.args, progress=not args.no_progress)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "layers":
            _layers(args)
            return 0
        if args.command not in ("data", "check"):
            return _stage(args)
        from .params import Params

        params = Params.load(args.params)
        return (_data if args.command == "data" else _check)(params, args)
    except TlbenchError as exc:
        print(f"tlbench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
