"""Stage anomaly_beyond: anomaly.beyond's detectors, beyond the seed, for every source -> target pair and
space (the seed's raw, PCA and TCA, fitted on patches): patch kNN on the cells of a map layer, motion kNN
on the cells of the flow histograms, and both scores summed after standardising each with its scores on
held-out normal training frames. The same detector and settings for every domain, as the CDFG requires.

Every detector is fitted on the source's training frames minus the tail `held_out` of each clip, whose
scores standardise it for the fusion (never test frames); so the columns of one space are the same fits."""
from __future__ import annotations

import zlib

import numpy as np

from ... import paths
from ...data.registry import SCENES
from ...errors import TlbenchError
from ...io import library_versions, load_features, load_meta, load_npy, read_json
from ...methods.registry import ANOMALY_VARIANTS
from ...params import Params
from ..stage import main
from .common import measures, pairs

SPACE_FIT_PATCHES = 50_000  # patches (seeded subsample) the z-scoring and PCA are fitted on (not all 0.5 M x 1024)
CHUNK_FRAMES = 256  # frames transformed and scored at a time: the test frames are never all in memory


def descriptors(params: Params) -> list[str]:
    """The descriptors the enabled variants need, in a fixed order."""
    needed = {k for v in params.model.anomaly.beyond.variants for k in ANOMALY_VARIANTS[v].descriptors}
    return [d for d in ("appearance", "motion") if d in needed]


def _appearance_source(params: Params, scene: str, split: str):
    """The stored map layer (frames, C * cells, C-major, memory-mapped) and its channel count."""
    folder = params.resolve_path(paths.ANOMALY_FEATURES / scene / split)
    node = params.anomaly_nodes()[-1]
    layer = next((l for l in load_meta(folder)["layers"] if l["node"] == node), None)
    if layer is None or layer.get("pooling"):
        raise TlbenchError(f"{folder} has no unpooled {node} maps: re-run `dvc repro anomaly_extract@{scene}` "
                           f"with anomaly.beyond's variants set")
    return load_features(folder, node), layer["shape"][0]


def _motion_source(params: Params, scene: str, split: str):
    return load_npy(params.resolve_path(paths.ANOMALY_MOTION / scene / split / "motion.npy"), mmap=True), None


def cell_chunks(params: Params, scene: str, split: str, name: str, frames: np.ndarray | None = None):
    """(frames, cells, dims) float32 arrays of one descriptor, CHUNK_FRAMES frames at a time (all or `frames`)."""
    stored, channels = (_appearance_source if name == "appearance" else _motion_source)(params, scene, split)
    frames = np.arange(len(stored)) if frames is None else frames
    for start in range(0, len(frames), CHUNK_FRAMES):
        rows = np.asarray(stored[frames[start:start + CHUNK_FRAMES]], dtype=np.float32)
        yield rows if channels is None else rows.reshape(len(rows), channels, -1).transpose(0, 2, 1)


def n_frames(params: Params, scene: str, split: str) -> int:
    return len(load_npy(params.resolve_path(paths.ANOMALY_FEATURES / scene / split / "labels.npy"), mmap=True))


def load_cells(params: Params, scene: str, split: str, name: str, frames: np.ndarray | None = None) -> np.ndarray:
    return np.concatenate(list(cell_chunks(params, scene, split, name, frames)))


def load_labels(params: Params, scene: str, split: str) -> dict:
    """Labels and clip ids of one split; every descriptor must cover the same frames."""
    folder = params.resolve_path(paths.ANOMALY_FEATURES / scene / split)
    out = {"labels": load_npy(folder / "labels.npy"), "groups": load_npy(folder / "groups.npy")}
    for name in descriptors(params):
        stored = (_appearance_source if name == "appearance" else _motion_source)(params, scene, split)[0]
        if len(stored) != len(out["labels"]):
            raise TlbenchError(
                f"{scene} {split}: {len(stored)} {name} frames but {len(out['labels'])} labelled frames: "
                f"re-run `dvc repro anomaly_extract@{scene} anomaly_motion@{scene}` with the same params"
            )
    return out


def held_out_mask(groups: np.ndarray, share: float) -> np.ndarray:
    """True for the last `share` of each clip's frames (at least one, and never the whole clip)."""
    mask = np.zeros(len(groups), bool)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        if len(idx) < 2:
            raise TlbenchError(f"training clip {g} has {len(idx)} frame: anomaly.beyond needs 2 or more per clip")
        n = min(max(1, int(round(share * len(idx)))), len(idx) - 1)
        mask[idx[-n:]] = True
    return mask


def sample_patches(cells: np.ndarray, frames: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """At most n patches (cells of `frames`), drawn without replacement, in their order."""
    total = len(frames) * cells.shape[1]
    pick = np.arange(total) if total <= n else np.sort(rng.choice(total, n, replace=False))
    return cells[frames[pick // cells.shape[1]], pick % cells.shape[1]]


def fit_patch_space(params: Params, space_name: str, source: np.ndarray, target: np.ndarray):
    """A space (raw / PCA / TCA, as the seed's) fitted on patches, (patches, dims) of each domain: at most
    SPACE_FIT_PATCHES of the source's (z-scoring, PCA) and anomaly.tca.max_samples_per_domain of each
    domain's (TCA); components capped at the patch's dimension."""
    from ...methods.spaces import Space

    a, dims = params.model.anomaly, source.shape[1]
    tca = a.tca.model_dump(exclude={"max_samples_per_domain"}) | {"n_components": min(a.tca.n_components, dims)}
    space = Space(space_name, n_components=min(a.pca["n_components"], dims), tca=tca, seed=params.seed,
                  max_samples_per_domain=a.tca.max_samples_per_domain)
    return space.fit(source, target)


def in_space(space, cells: np.ndarray) -> np.ndarray:
    return space.transform(cells.reshape(-1, cells.shape[2])).astype(np.float32).reshape(len(cells), cells.shape[1], -1)


def in_space_chunked(space, cells: np.ndarray, frames: np.ndarray) -> np.ndarray:
    return np.concatenate(
        [in_space(space, cells[frames[i : i + CHUNK_FRAMES]]) for i in range(0, len(frames), CHUNK_FRAMES)]
    )


def detector(params: Params, name: str, grid: tuple[int, int] | None):
    from ...methods.patch_knn import PatchKNN

    b = params.model.anomaly.beyond
    settings = (b.patch_knn if name == "appearance" else b.motion_knn).model_dump()
    return PatchKNN(random_state=params.seed, grid=grid, **settings)


def cell_grid(params: Params, scene: str, name: str, cells: int) -> tuple[int, int] | None:
    """(rows, cols) of a descriptor's cells, row-major: for neighbourhood > 0 (the cells around a cell)."""
    if name == "motion":
        return tuple(read_json(params.resolve_path(paths.ANOMALY_MOTION / scene / "train" / "meta.json"))["grid"])
    layer = next(l for l in load_meta(params.resolve_path(paths.ANOMALY_FEATURES / scene / "train"))["layers"]
                 if l["node"] == params.anomaly_nodes()[-1])
    rows, cols = layer["shape"][1:]
    if rows * cols == cells:
        return rows, cols
    side = int(round(cells ** 0.5))  # an input size other than the spec's: square maps
    return (side, side) if side * side == cells else None


_FITTED: dict = {}  # (params, source, space, descriptor) -> (space, detector, held-out scores): see `fitted`


def _params_key(params: Params) -> str:
    """The run's identity by content (an object's id can come back for other params in the same process)."""
    import hashlib
    import json

    text = json.dumps([str(params.root_dir), params.raw], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def frame_scores(params: Params, name: str, knn, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the configured frame scores, (frames, settings) scores of the selection grid's (k, top cells)
    aggregations), both from one search of the bank."""
    from ...methods.patch_knn import aggregate_cells
    from ...methods.selection import cell_settings

    b = params.model.anomaly.beyond
    knn_params, grid = (b.patch_knn if name == "appearance" else b.motion_knn), b.selection
    aggregations = cell_settings(grid) if grid.protocol != "none" else []
    ks = sorted({knn_params.k, *(k for k, _ in aggregations)})
    distances = knn.cell_distances(cells, tuple(ks))
    configured = aggregate_cells(distances[..., ks.index(knn_params.k)],
                                 1 if knn_params.aggregate == "max" else knn_params.top_cells)
    columns = [aggregate_cells(distances[..., ks.index(k)], top) for k, top in aggregations]
    return configured, np.stack(columns, axis=1) if columns else np.empty((len(cells), 0), np.float32)


def fitted(params: Params, space_name: str, name: str, pair: dict):
    """The space, the fitted detector and its held-out scores (configured, grid). A space fitted on the source
    alone (raw, PCA: registry kind "source") gives the same fit for every target, so it is kept for the next
    pair of the same source (pairs run source by source): the greedy coreset is the slow part."""
    from ...methods.registry import SPACES

    key = (_params_key(params), pair["source_scene"], space_name, name)
    if key in _FITTED:
        return _FITTED[key]
    source, held = pair["source"][name], pair["held_out"]
    fit, held_out = np.flatnonzero(~held), np.flatnonzero(held)
    rng = np.random.default_rng([params.seed, zlib.crc32(f"patch space {name}".encode())])
    space = fit_patch_space(params, space_name, sample_patches(source, fit, SPACE_FIT_PATCHES, rng),
                            sample_patches(pair["target_fit"][name], np.arange(len(pair["target_fit"][name])),
                                           SPACE_FIT_PATCHES, rng))
    knn = detector(params, name, pair["grid"][name]).fit(in_space_chunked(space, source, fit))
    result = space, knn, frame_scores(params, name, knn, in_space_chunked(space, source, held_out))
    if SPACES[space_name].fitted_on == "source":
        for old in [k for k in _FITTED if k[:2] != key[:2]]:  # another run or source: let it go
            del _FITTED[old]
        _FITTED[key] = result
    return result


def descriptor_scores(params: Params, space_name: str, name: str, pair: dict) -> dict[str, np.ndarray]:
    """Held-out normal and target test scores of one descriptor in one space: configured ("held", "test")
    and the selection grid's columns ("held_grid", "test_grid")."""
    space, knn, (held, held_grid) = fitted(params, space_name, name, pair)
    test = [frame_scores(params, name, knn, in_space(space, chunk))
            for chunk in cell_chunks(params, pair["target_scene"], "test", name)]
    return {"held": held, "held_grid": held_grid, "test": np.concatenate([t[0] for t in test]),
            "test_grid": np.concatenate([t[1] for t in test])}


def target_fit_frames(params: Params, scene: str, cells: int) -> np.ndarray:
    """The target's training frames that the spaces see (TCA): enough for SPACE_FIT_PATCHES patches, seeded."""
    n, wanted = n_frames(params, scene, "train"), -(-SPACE_FIT_PATCHES // cells)
    rng = np.random.default_rng([params.seed, zlib.crc32(f"target frames {scene}".encode())])
    return np.arange(n) if n <= wanted else np.sort(rng.choice(n, wanted, replace=False))


def load_pair(params: Params, source: str, target: str) -> dict:
    b = params.model.anomaly.beyond
    src, tgt = load_labels(params, source, "train"), load_labels(params, target, "test")
    load_labels(params, target, "train")  # its descriptors must cover its labelled frames too
    pair = {"source": {}, "target_fit": {}, "grid": {}, "source_scene": source, "target_scene": target,
            "labels": tgt["labels"], "groups": tgt["groups"],
            "held_out": held_out_mask(src["groups"], b.held_out)}
    for name in descriptors(params):
        pair["source"][name] = load_cells(params, source, "train", name)
        pair["grid"][name] = cell_grid(params, source, name, pair["source"][name].shape[1])
        frames = target_fit_frames(params, target, pair["source"][name].shape[1])
        pair["target_fit"][name] = load_cells(params, target, "train", name, frames)
    return pair


def variant_scores(params: Params, parts: dict[str, dict]) -> dict[str, np.ndarray]:
    """Each variant's configured test scores from its descriptors' `parts` (descriptor_scores)."""
    from ...methods.smoothing import fuse_scores

    b = params.model.anomaly.beyond
    out = {}
    for variant in b.variants:
        needed = ANOMALY_VARIANTS[variant].descriptors
        if len(needed) == 1:
            out[variant] = parts[needed[0]]["test"]
        else:
            weights = {k: b.weights["patch_knn" if k == "appearance" else "motion"] for k in needed}
            out[variant] = fuse_scores(
                {k: parts[k]["test"] for k in needed}, {k: parts[k]["held"] for k in needed}, weights
            )
    return out


def measured(labels: np.ndarray, scores: np.ndarray, where: str) -> dict:
    out = {}
    for measure in measures("scores"):
        try:
            out[measure.name] = round(float(measure.impl(labels, scores)), 6)
        except TlbenchError as exc:
            raise TlbenchError(f"{where}: {exc}") from None
    return out


def evaluate_pair(params: Params, source: str, target: str) -> tuple[dict, dict, dict]:
    """One pair's record (a row per variant and space: raw and smoothed measures), its scores, and the
    selection grid's scores of each descriptor ({space: {descriptor: {"test", "held"}}}). Pure."""
    from ...methods.smoothing import smooth_scores

    SCENES[source], SCENES[target]
    b = params.model.anomaly.beyond
    pair = load_pair(params, source, target)
    labels, groups, held = pair["labels"], pair["groups"], pair["held_out"]
    rows, scores, grid = [], {"labels": labels, "groups": groups}, {}
    for space in params.model.anomaly.spaces:
        parts = {name: descriptor_scores(params, space, name, pair) for name in descriptors(params)}
        grid[space] = {name: {"test": p["test_grid"], "held": p["held_grid"]} for name, p in parts.items()}
        for variant, raw in variant_scores(params, parts).items():
            smooth = smooth_scores(raw, groups, b.smoothing.window, b.smoothing.kind)
            where = f"{source} -> {target}, {variant}, {space}"
            rows.append(
                {
                    "experiment": "anomaly",
                    "variant": variant,
                    "source": source,
                    "target": target,
                    "space": space,
                    **measured(labels, raw, where),
                    "smoothed": measured(labels, smooth, where),
                    "n_fit": int((~held).sum()),
                    "n_held_out": int(held.sum()),
                    "n_test": len(raw),
                    "n_anomalous": int(labels.sum()),
                    "seed": params.seed,
                }
            )
            scores[f"{variant}__{space}"], scores[f"{variant}__{space}__smoothed"] = raw, smooth
    return {"rows": rows, "settings": settings(params), "versions": library_versions()}, scores, grid


def selection_record(params: Params, jobs: list[tuple[str, str]], results: list[tuple]) -> dict:
    """The declared selection protocol's rows (methods/selection.py) from every pair's grid scores."""
    from ...methods.selection import select
    from ...params import SelectionGrid

    a = params.model.anomaly
    grid = a.beyond.selection if a.beyond else SelectionGrid(protocol="none")
    rows = []
    if grid.protocol != "none" and jobs:
        pairs = {(s, t): {"labels": scores["labels"], "groups": scores["groups"], "cells": cells}
                 for (s, t), (_, scores, cells) in zip(jobs, results)}
        variants = {v: ANOMALY_VARIANTS[v].descriptors for v in a.beyond.variants}
        rows = select(pairs, a.scenes, a.spaces, variants, grid)
    return {"protocol": grid.protocol, "grid": grid.model_dump(), "rows": rows, "seed": params.seed,
            "versions": library_versions()}


def settings(params: Params) -> dict:
    """What the variants' captions and provenance name: the detectors, the descriptors and the layer."""
    a = params.model.anomaly
    folder = params.resolve_path(paths.ANOMALY_FEATURES / a.scenes[0] / "train")
    meta = load_meta(folder)
    out = {"beyond": a.beyond.model_dump(), "backbone": meta["backbone"], "preprocessing": meta["preprocessing_text"],
           "pca_components": a.pca["n_components"], "tca": a.tca.model_dump()}
    if "appearance" in descriptors(params):
        node = params.anomaly_nodes()[-1]
        out["patch_layer"] = next(l for l in meta["layers"] if l["node"] == node)
    if "motion" in descriptors(params):
        out["motion"] = read_json(params.resolve_path(paths.ANOMALY_MOTION / a.scenes[0] / "train" / "meta.json"))[
            "description"
        ]
    return out


def run(params: Params, progress: bool = True) -> None:
    """Every pair (on Ray when `extract.backend: ray`), records and scores written atomically."""
    from ...io import atomic_dir, write_json
    from ...scale import fan_out

    enabled = bool(params.model.anomaly.beyond and params.model.anomaly.beyond.variants)
    jobs = pairs(params) if enabled else []  # none enabled: empty folders, and the tables show the seed's columns only
    results = fan_out(
        params, evaluate_pair, [(params, s, t) for s, t in jobs], desc="anomaly beyond", progress=progress
    )
    with atomic_dir(params.resolve_path(paths.ANOMALY_BEYOND_RECORDS)) as records, \
            atomic_dir(params.resolve_path(paths.ANOMALY_BEYOND_SCORES)) as scores:
        for (source, target), (record, pair_scores, _) in zip(jobs, results):
            write_json(records / f"{paths.anomaly_pair(source, target)}.json", record)
            np.savez(scores / f"{paths.anomaly_pair(source, target)}.npz", **pair_scores)
            print(
                f"{source} -> {target}: "
                + "; ".join(
                    f"{r['variant']} {r['space']} EER {r['eer']:.2f} (smoothed {r['smoothed']['eer']:.2f})"
                    for r in record["rows"]
                )
            )
    write_json(params.resolve_path(paths.ANOMALY_BEYOND_SELECTION), selection_record(params, jobs, results))

if __name__ == "__main__":
    raise SystemExit(main(run))
