"""The PH2 layer sweep (seed Table 6): stages demo-data -> ph2-extract -> ph2-evaluate -> ph2-report."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from .config import Params
from .datasets import PH2
from .errors import TlbenchError
from .io import load_features, load_meta
from .io import atomic_dir, atomic_write_text, git_commit, library_versions, read_json, read_jsonl, write_json, write_jsonl
from .protocols import cross_validate, cv_splits, task_labels, variance_fraction
from .registry import TASKS

FEATURES_DIR = Path("data/features/ph2")
METRICS_DIR = Path("reports/metrics")
FOLDS_FILE = METRICS_DIR / "ph2_folds.jsonl"
SUMMARY_FILE = METRICS_DIR / "ph2_summary.json"
TIMING_FILE = METRICS_DIR / "ph2_timing.json"


def load_ph2(params: Params) -> PH2:
    root = params.resolve_path(params.profile_get("datasets.ph2"))
    return PH2.load(root, expect_full=params.profile == "paper")


def stage_extract(params: Params, progress: bool = True) -> None:
    from .extract import engine_options, extract_features

    ds = load_ph2(params)  # fails in seconds on a broken or missing dataset
    cfg = params.get("extract")
    weights = cfg.get("weights") or {}
    layers = params.get("ph2.layers")
    backbones = params.profile_get("ph2_backbones")
    if params.profile == "paper":  # every weights file must be there before the first forward pass
        from .backbones import resolve_weights
        from .registry import backbone

        for name in backbones:
            resolve_weights(backbone(name), weights.get(name), bool(cfg["allow_download"]))
    timing = {}
    with atomic_dir(params.resolve_path(FEATURES_DIR)) as tmp:
        write_json(tmp / "index.json", {
            "dataset": "PH2", "profile": params.profile, "root": str(ds.root),
            "ids": ds.ids, "clinical_diagnosis": ds.labels.tolist(),
        })
        for name in backbones:
            result = extract_features(
                ds.image_paths, name, layers, tmp / name, **engine_options(cfg, name), progress=progress,
            )
            timing[name] = {"images": result.n_images, "seconds": round(result.seconds, 3),
                            "images_per_second": round(result.images_per_second, 2)}
            print(f"{name}: {result.n_images} images in {result.seconds:.1f} s ({result.images_per_second:.1f} images/s)")
    write_json(params.resolve_path(TIMING_FILE), {"ph2_extract": timing})


def stage_evaluate(params: Params, progress: bool = True) -> None:
    features = params.resolve_path(FEATURES_DIR)
    index_path = features / "index.json"
    if not index_path.is_file():
        raise TlbenchError(f"{index_path} not found: run the ph2_extract stage first (`dvc repro`)")
    index = read_json(index_path)
    clinical = np.array(index["clinical_diagnosis"])
    seed, n_folds = params.seed, int(params.get("ph2.n_folds"))
    svm = params.get("ph2.svm")
    rows, summary = [], {}
    jobs = [(name, layer) for name in params.profile_get("ph2_backbones")
            for layer in load_meta(features / name)["layers"]]
    for name, layer in tqdm(jobs, desc="ph2 evaluate", unit="layer", disable=not progress or None):
        meta = load_meta(features / name)
        X = np.asarray(load_features(features / name, layer["node"]), dtype=np.float32)
        var = variance_fraction(X)
        for task in params.get("ph2.tasks"):
            y = task_labels(task, clinical)
            for protocol in params.get("ph2.protocols"):
                scores = cross_validate(X, y, cv_splits(protocol, y, n_folds, seed), float(svm["C"]), bool(svm["standardize"]))
                for s in scores:
                    rows.append({
                        "experiment": "ph2_layers", "profile": params.profile, "dataset": "PH2",
                        "backbone": name, "layer": layer["index"], "node": layer["node"],
                        "keras_name": layer["keras_name"], "n_features": layer["n_features"],
                        "variance_fraction": round(var, 6), "task": task, "protocol": protocol,
                        "n_folds": n_folds, "fold": s.fold, "n_train": s.n_train, "n_test": s.n_test,
                        "classifier": params.get("ph2.classifier"), "C": float(svm["C"]),
                        "standardize": bool(svm["standardize"]), "seed": seed,
                        "weights_id": meta["weights_id"], "precision": meta["precision"],
                        "balanced_accuracy": round(s.balanced_accuracy, 6),
                    })
                ba = np.array([s.balanced_accuracy for s in scores]) * 100
                summary.setdefault(name, {}).setdefault(str(layer["index"]), {}).setdefault(task, {})[protocol] = {
                    "mean": round(float(ba.mean()), 4), "std": round(float(ba.std(ddof=0)), 4)}
    write_jsonl(params.resolve_path(FOLDS_FILE), rows)
    meta0 = load_meta(features / params.profile_get("ph2_backbones")[0])
    write_json(params.resolve_path(SUMMARY_FILE), {
        "ph2_layers": summary,
        "provenance": {"profile": params.profile, "seed": seed, "versions": library_versions(),
                       "preprocessing": meta0["preprocessing_text"], "tasks": {t: TASKS[t][0] for t in params.get("ph2.tasks")}},
    })


def stage_report(params: Params) -> list[Path]:
    from . import report

    folds = params.resolve_path(FOLDS_FILE)
    if not folds.is_file():
        raise TlbenchError(f"{folds} not found: run the ph2_evaluate stage first (`dvc repro`)")
    rows = read_jsonl(folds)
    features = params.resolve_path(FEATURES_DIR)
    preprocessing = {name: load_meta(features / name)["preprocessing_text"]
                     for name in params.profile_get("ph2_backbones") if (features / name).is_dir()}
    context = report.Ph2Context(profile=params.profile, seed=params.seed, commit=git_commit(params.root_dir),
                                preprocessing=preprocessing)
    tables = params.resolve_path(params.get("report.tables_dir"))
    figures = params.resolve_path(params.get("report.figures_dir"))
    tex, md = report.render_ph2_tables(rows, context)
    written = [atomic_write_text(tables / "ph2_layers.tex", tex), atomic_write_text(tables / "ph2_layers.md", md)]
    written += report.plot_ph2_layers(rows, figures / "ph2_layers")
    return written
