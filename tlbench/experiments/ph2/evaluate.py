"""Stage ph2_evaluate: 20-fold CV of a linear SVM per backbone, layer, task and protocol; one row per
fold (reports/records/ph2_folds.jsonl) and the means (ph2_summary.json)."""
from __future__ import annotations

import numpy as np

from ... import paths
from ...errors import TlbenchError
from ...io import library_versions, load_features, load_meta, read_json, write_json
from ...methods.registry import MEASURES, TASKS
from ...params import Params
from ...records import Ph2Fold, write_rows
from ..stage import main


def layer_rows(
    params: Params, name: str, layer: dict, meta: dict, X: np.ndarray, clinical: np.ndarray
) -> list[Ph2Fold]:
    """One row per task, protocol and fold for one backbone layer."""
    from ...methods.fold_kernels import FoldKernels
    from ...methods.protocols import (
        cross_validate,
        ph2_splits,
        pooled_balanced_accuracy,
        task_labels,
        variance_fraction,
    )

    p, seed = params.model.ph2, params.seed
    var, rows = variance_fraction(X), []
    splits = ph2_splits(p.protocols, clinical, p.n_folds, seed)
    kernels = FoldKernels(X, [fold for folds in splits.values() for fold in folds], p.svm.standardize)
    for task in p.tasks:
        y = task_labels(task, clinical)
        for protocol in p.protocols:
            folds = cross_validate(X, y, splits[protocol], p.svm.C, p.svm.standardize, kernels)
            pooled = round(pooled_balanced_accuracy(y, folds), 6)
            for s in folds:
                rows.append(Ph2Fold(
                    experiment="ph2_layers", profile=params.profile, dataset="PH2",
                    backbone=name, layer=layer["index"], node=layer["node"],
                    keras_name=layer["keras_name"], n_features=layer["n_features"],
                    variance_fraction=round(var, 6), task=task, protocol=protocol,
                    n_folds=p.n_folds, fold=s.fold, n_train=s.n_train, n_test=s.n_test,
                    classifier=p.classifier, C=p.svm.C, standardize=p.svm.standardize, seed=seed,
                    weights_id=meta["weights_id"], precision=meta["precision"],
                    balanced_accuracy=round(s.balanced_accuracy, 6), accuracy=round(s.accuracy, 6),
                    n_classes_in_fold=s.n_classes, pooled_balanced_accuracy=pooled,
                ))
    return rows


def summarise(rows: list[Ph2Fold], uncertainty, seed: int) -> dict:
    """{backbone: {layer: {task: {protocol: {mean, std, ci, pooled_balanced_accuracy}}}}} in %: the mean and
    sample std (n - 1) over the folds of the folds' balanced accuracies (for the paper protocol, accuracy), and
    the mean's percentile bootstrap interval over the folds (`uncertainty`)."""
    from ...methods.uncertainty import bootstrap_mean, seed_for

    groups: dict[tuple, list[Ph2Fold]] = {}
    for r in rows:
        groups.setdefault((r.backbone, str(r.layer), r.task, r.protocol), []).append(r)
    summary: dict = {}
    for (bb, layer, task, protocol), folds in groups.items():
        ba = np.array([f.balanced_accuracy for f in folds]) * 100
        low, high = bootstrap_mean(
            ba, uncertainty.resamples, uncertainty.level, seed_for(seed, bb, layer, task, protocol)
        )
        summary.setdefault(bb, {}).setdefault(layer, {}).setdefault(task, {})[protocol] = {
            "mean": round(float(ba.mean()), 4), "std": round(float(ba.std(ddof=1)), 4), "n": int(len(ba)),
            "ci": [round(low, 4), round(high, 4)],
            "pooled_balanced_accuracy": round(100 * folds[0].pooled_balanced_accuracy, 4)}
    return summary


def layer_measures(params: Params, X: np.ndarray, clinical: np.ndarray) -> dict:
    """{task: {measure: value}} for every registered layer-ranking measure (LogME, H-score)."""
    from ...methods import layer_ranking  # noqa: F401 (implements them)
    from ...methods.protocols import task_labels

    chosen = MEASURES.implemented(computed_from="layer")
    return {task: {m.name: float(f"{m.impl(X, task_labels(task, clinical)):.6g}") for m in chosen}
            for task in params.model.ph2.tasks}


def source_model_measures(params: Params, logits: np.ndarray, clinical: np.ndarray) -> dict:
    """{task: {measure: value}} from the backbone's ImageNet probabilities (LEEP): one per backbone."""
    from ...methods import layer_ranking  # noqa: F401 (implements them)
    from ...methods.protocols import task_labels

    z = logits - logits.max(axis=1, keepdims=True)
    theta = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    chosen = MEASURES.implemented(computed_from="source_model")
    return {task: {m.name: float(f"{m.impl(theta, task_labels(task, clinical)):.6g}") for m in chosen}
            for task in params.model.ph2.tasks}


def swept(params: Params, meta: dict, beyond: bool = False) -> list[dict]:
    """The layers of the sweep (the ImageNet head, -1, is extracted for LEEP only unless asked for)."""
    wanted = {str(k) for k in params.ph2_layers(beyond)}
    return [l for l in meta["layers"] if str(l["index"]) in wanted or l["node"] in wanted]


def evaluate_layer(params: Params, name: str, layer: dict, clinical: np.ndarray) -> tuple[list[Ph2Fold], dict]:
    """One backbone layer: its fold rows and its transferability measures (a job of `fan_out`)."""
    features = params.resolve_path(paths.PH2_FEATURES) / name
    X = np.asarray(load_features(features, layer["node"]), dtype=np.float32)
    return layer_rows(params, name, layer, load_meta(features), X, clinical), layer_measures(params, X, clinical)


def run(params: Params, progress: bool = True) -> None:
    """Every backbone layer (on Ray when `extract.backend: ray`), then LEEP from each ImageNet head."""
    from ...scale import fan_out

    features = params.resolve_path(paths.PH2_FEATURES)
    if not (features / "index.json").is_file():
        raise TlbenchError(f"{features / 'index.json'} not found: run the ph2_extract stage first (`dvc repro`)")
    clinical = np.array(read_json(features / "index.json")["clinical_diagnosis"])
    sweeps = [(key, beyond) for key, _, _, beyond in params.ph2_models()]
    backbones = [key for key, _ in sweeps]
    jobs = [(params, name, layer, clinical)
            for name, beyond in sweeps for layer in swept(params, load_meta(features / name), beyond)]
    rows, transfer = [], {}
    for (_, name, layer, _), (layer_result, measured) in zip(jobs, fan_out(params, evaluate_layer, jobs, "ph2 layers",
                                                                            progress)):
        rows += layer_result
        transfer.setdefault(name, {})[str(layer["index"])] = measured
    for name in backbones:
        head = next(l["node"] for l in load_meta(features / name)["layers"] if l["index"] == -1)
        logits = np.asarray(load_features(features / name, head), dtype=np.float64)
        transfer[name]["source_model"] = source_model_measures(params, logits, clinical)
    write_rows(params.resolve_path(paths.PH2_FOLDS), rows)
    write_json(params.resolve_path(paths.PH2_SUMMARY), {
        "ph2_layers": summarise(rows, params.model.uncertainty, params.seed), "transferability": transfer,
        "uncertainty": params.model.uncertainty.model_dump(),
        "provenance": {"profile": params.profile, "seed": params.seed, "versions": library_versions(),
                       "preprocessing": {name: load_meta(features / name)["preprocessing_text"] for name in backbones},
                       "tasks": {t: TASKS[t].label for t in params.model.ph2.tasks}},
    })


if __name__ == "__main__":
    raise SystemExit(main(run))
