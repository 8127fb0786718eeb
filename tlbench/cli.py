"""`tlbench`: the stage commands that dvc.yaml runs, and helpers for users."""
from __future__ import annotations

import argparse
import sys

from .errors import TlbenchError


def _layers(args) -> None:
    from .registry import BACKBONES, backbone

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
    sub.add_parser("demo-data", help="generate the synthetic datasets of the demo profile")
    data = sub.add_parser("data", help="check or fetch the datasets of the profile")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    data_sub.add_parser("check", help="found / missing / invalid for every dataset, with instructions")
    fetch = data_sub.add_parser("fetch", help="download and extract a public dataset archive")
    fetch.add_argument("name", help="fruits360, ucsd, york or cifar10")
    sub.add_parser("ph2-extract", help="extract PH2 features for every backbone and layer of the sweep")
    sub.add_parser("ph2-evaluate", help="20-fold CV of a linear SVM per backbone, layer, task and protocol")
    sub.add_parser("ph2-report", help="render the PH2 tables and figure")
    ax = sub.add_parser("anomaly-extract", help="frame features of one scene (train and test frames)")
    ax.add_argument("scene")
    ae = sub.add_parser("anomaly-evaluate", help="EER of a detector trained on SOURCE, tested on TARGET, per space")
    ae.add_argument("source")
    ae.add_argument("target")
    sub.add_parser("anomaly-report", help="render Tables 1-5 (EER, CDFG), the seed check and the figures")
    sub.add_parser("finetune", help="adapt the profile's backbone on Fruits-360 (resumes an interrupted run)")
    sub.add_parser("fusion-extract", help="global and block features of Supermarket Produce from the adapted model")
    sub.add_parser("fusion-evaluate", help="PCA + linear SVM accuracy per fusion column, size and split")
    sub.add_parser("fusion-report", help="render Table 7 and its figure")
    sub.add_parser("recipes", help="the seed's teaching recipes on the CIFAR-10 subsample, with their table")
    sub.add_parser("reports", help="reports/tables.tex, the timing table and reports/README.md (the index)")
    chk = sub.add_parser("check", help="regression gate: current metrics against the committed baseline")
    chk.add_argument("--update", action="store_true", help="rewrite the baseline from the current metrics")
    layers = sub.add_parser("layers", help="list the registered backbones and their layers")
    layers.add_argument("backbone", nargs="?")
    return parser


def _demo_data(params, args) -> int:
    from .demo_data import stage_demo_data

    for key, seconds in stage_demo_data(params).items():
        print(f"demo {key}: {seconds:.1f} s")
    return 0


def _data(params, args) -> int:
    from . import catalog

    if args.data_command == "check":
        rows = catalog.check(params)
        print(catalog.format_rows(rows, params.profile))
        return 1 if any(r.status in ("missing", "invalid") for r in rows) else 0
    print(f"{args.name}: ready at {catalog.fetch(params, args.name, progress=not args.no_progress)}")
    return 0


def _recipes(params, args) -> int:
    from .recipes import stage_recipes

    for row in stage_recipes(params, progress=not args.no_progress)["results"]:
        print(f"{row['recipe']}: {100 * row['mean']:.2f} % ({row['metric']})")
    return 0


def _check(params, args) -> int:
    from .gate import check

    return check(params, update=args.update)


def _stage(module: str, function: str, *arg_names: str, progress: bool = True, show=None):
    """A handler that calls tlbench.<module>.<function>(params, *args[, progress]) and shows its result."""
    def run(params, args) -> int:
        import importlib

        call = getattr(importlib.import_module(f"tlbench.{module}"), function)
        result = call(params, *(getattr(args, a) for a in arg_names),
                      **({"progress": not args.no_progress} if progress else {}))
        if show:
            show(result)
        return 0

    return run


def _wrote(paths) -> None:
    for path in paths:
        print(f"wrote {path}")


def _eers(rows) -> None:
    for row in rows:
        print(f"{row['source']} -> {row['target']} {row['space']}: EER {row['eer']:.2f} %")


STAGES = {  # the commands dvc.yaml runs; their wall times go into reports/metrics/timings/
    "demo-data": _demo_data,
    "ph2-extract": _stage("ph2_sweep", "stage_extract"),
    "ph2-evaluate": _stage("ph2_sweep", "stage_evaluate"),
    "ph2-report": _stage("ph2_sweep", "stage_report", progress=False, show=_wrote),
    "anomaly-extract": _stage("anomaly", "stage_extract", "scene"),
    "anomaly-evaluate": _stage("anomaly", "stage_evaluate", "source", "target", progress=False, show=_eers),
    "anomaly-report": _stage("anomaly_report", "stage_report", progress=False, show=_wrote),
    "finetune": _stage("fusion", "stage_finetune"),
    "fusion-extract": _stage("fusion", "stage_extract"),
    "fusion-evaluate": _stage("fusion", "stage_evaluate", progress=False),
    "fusion-report": _stage("fusion", "stage_report", progress=False, show=_wrote),
    "recipes": _recipes,
}
HANDLERS = {**STAGES, "data": _data, "check": _check,
            "reports": _stage("reports_index", "stage_reports", progress=False, show=_wrote)}


def _record_timing(params, args, seconds: float) -> None:
    """Stage wall times go with the metrics (reports/metrics/timings/), for the timing table."""
    from .io import read_json, write_json
    from .reports_index import TIMINGS

    name = "@".join([args.command] + [getattr(args, k) for k in ("scene", "source", "target") if hasattr(args, k)])
    rate, ph2 = "", params.resolve_path("reports/metrics/ph2_timing.json")
    if args.command == "ph2-extract" and ph2.is_file():
        rate = ", ".join(f"{k} {v['images_per_second']:.1f}/s" for k, v in read_json(ph2)["ph2_extract"].items())
    write_json(params.resolve_path(TIMINGS) / f"{name}.json", {"stage": name, "seconds": round(seconds, 2), "rate": rate})


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "layers":
            _layers(args)
            return 0
        import time

        from .config import Params

        params = Params.load(args.params)
        start = time.perf_counter()
        status = HANDLERS[args.command](params, args)
        if args.command in STAGES and status == 0:
            _record_timing(params, args, time.perf_counter() - start)
        return status
    except TlbenchError as exc:
        print(f"tlbench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
