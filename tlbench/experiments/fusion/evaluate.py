"""Stage fusion_evaluate: PCA + linear SVM accuracy for every Table 7 column (global alone or fused
with a block) and size, over stratified held-out splits, one per seed in `fusion.seeds`."""
from __future__ import annotations

import numpy as np

from ... import paths
from ...errors import TlbenchError
from ...io import library_versions, load_features, load_meta, load_npy, write_json
from ...params import Params
from ...records import FusionSplit, write_rows
from ..stage import main

COLUMNS = ("global", "block1", "block2", "block3")  # Table 7's columns: global alone, or fused with a block


def held_out_split(y: np.ndarray, test_size: int | float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices, stratified and seeded; each side must hold every class once at least."""
    from sklearn.model_selection import train_test_split

    n, classes = len(y), len(np.unique(y))
    n_test = test_size if isinstance(test_size, int) else int(np.ceil(test_size * n))
    if min(n_test, n - n_test) < classes:
        raise TlbenchError(f"profiles.<profile>.fusion.test_size {test_size} holds out {n_test} of {n} images: "
                           f"a stratified split needs at least {classes} (one per class) on each side; change "
                           f"the test share or use more images")
    return tuple(train_test_split(np.arange(n), test_size=test_size, stratify=y, random_state=seed))


def split_rows(params: Params, desc: dict, y: np.ndarray, seed: int, meta: dict) -> list[FusionSplit]:
    from ...methods.fusion import evaluate_column

    f = params.model.fusion
    train, test = held_out_split(y, params.settings.fusion["test_size"], seed)
    rows = []
    for col in COLUMNS:
        parts = [desc["global"]] + ([desc[col]] if col != "global" else [])
        for n, acc in evaluate_column(parts, y, train, test, f.n_components, f.align, f.svm.C).items():
            rows.append(FusionSplit(experiment="fusion", profile=params.profile, column=col, n_components=n,
                                    split_seed=seed, n_train=len(train), n_test=len(test), accuracy=round(acc, 6),
                                    align=f.align, pooling=f.pooling, C=f.svm.C, backbone=meta["backbone"],
                                    weights_id=meta["weights_id"], global_node=meta["columns"]["global"],
                                    local_node=meta["columns"].get(col)))
    return rows


def summary(rows: list[FusionSplit]) -> dict:
    """{column: {n_components: mean accuracy (%)}}."""
    sizes = sorted({r.n_components for r in rows}, reverse=True)
    return {col: {str(n): round(100 * float(np.mean([r.accuracy for r in rows
                                                      if r.column == col and r.n_components == n])), 4)
                  for n in sizes} for col in COLUMNS}


def column_measures(desc: dict, y: np.ndarray, how: str) -> dict:
    """{column: {measure: value}}: the layer-ranking measures (LogME, H-score) of each column's fused
    descriptor, each part aligned over all images, before PCA and before any classifier."""
    from ...methods import layer_ranking  # noqa: F401 (implements them)
    from ...methods.fusion import align
    from ...methods.registry import MEASURES

    chosen = MEASURES.implemented(computed_from="layer")
    out = {}
    for col in COLUMNS:
        parts = [align(d, d[:1], how)[0] for d in [desc["global"]] + ([desc[col]] if col != "global" else [])]
        fused = np.hstack(parts)
        out[col] = {m.name: float(f"{m.impl(fused, y):.6g}") for m in chosen}
    return out


def load_descriptors(params: Params) -> tuple[dict, np.ndarray, dict]:
    d = params.resolve_path(paths.FUSION_FEATURES / "supermarket")
    meta = load_meta(d)
    desc = {col: np.asarray(load_features(d, node), dtype=np.float64) for col, node in meta["columns"].items()}
    return desc, load_npy(d / "labels.npy"), meta


def seed_rows(params: Params, seed: int) -> list[FusionSplit]:
    """One held-out split (a job of `fan_out`: it reads the features itself, so only rows travel)."""
    desc, y, meta = load_descriptors(params)
    return split_rows(params, desc, y, seed, meta)


def run(params: Params, progress: bool = True) -> None:
    """Every split seed (on Ray when `extract.backend: ray`), then the columns' transferability measures."""
    from ...scale import fan_out

    seeds = params.model.fusion.seeds
    rows = [r for part in fan_out(params, seed_rows, [(params, s) for s in seeds], "fusion splits", progress)
            for r in part]
    desc, y, meta = load_descriptors(params)
    write_rows(params.resolve_path(paths.FUSION_RESULTS), rows)
    write_json(params.resolve_path(paths.FUSION_SUMMARY), {
        "fusion": summary(rows), "transferability": column_measures(desc, y, params.model.fusion.align),
        "versions": library_versions(), "preprocessing": meta["preprocessing_text"]})


if __name__ == "__main__":
    raise SystemExit(main(run))
