"""Stage anomaly_evaluate: for every source -> target pair of scenes and per space, a detector trained on the
source's normal training frames scores every test frame of the target; every registered score measure (EER, ...)
per space."""
from __future__ import annotations

import numpy as np

from ... import paths
from ...data.registry import SCENES
from ...errors import TlbenchError
from ...io import library_versions, write_json
from ...methods.registry import MEASURES
from ...params import Params
from ..stage import main
from .common import detector_for, fit_space, load_pair, measures, pairs


def domain_gaps(params: Params, space, data: dict) -> dict:
    """Each domain measure on (at most anomaly.gap_samples of) both domains' training frames in the space,
    with the frames' clip ids."""
    import zlib

    from ...methods.spaces import subsample

    rng, cap = np.random.default_rng([params.seed, zlib.crc32(b"domain gap")]), params.model.anomaly.gap_samples
    keep_s = subsample(np.arange(len(data["Xs"])), cap, rng)
    keep_t = subsample(np.arange(len(data["Xt_train"])), cap, rng)
    Zs, Zt = space.transform(data["Xs"][keep_s]), space.transform(data["Xt_train"][keep_t])
    groups = {"groups_s": data["groups_s"][keep_s], "groups_t": data["groups_t_train"][keep_t]}
    return {m.name: float(f"{m.impl(Zs, Zt, **groups):.6g}") for m in measures("domain")}


def evaluate_space(params: Params, space_name: str, data: dict, pair: str) -> tuple[dict, np.ndarray]:
    """Measure values, the smoothed target scores and what the fit chose (gamma, TCA solver) for one space."""
    from ...methods.smoothing import smooth_scores

    space = fit_space(params, space_name, data["Xs"], data["Xt_train"])
    detector = detector_for(params, space_name).fit(space.transform(data["Xs"]))
    scores = smooth_scores(detector.score(space.transform(data["Xt"])), data["groups"], params.model.anomaly.smoothing)
    values = {"gamma": detector.gamma_, "tca_solver": getattr(space.model_, "solver_", None)}
    values |= domain_gaps(params, space, data)
    try:
        for measure in measures("scores"):
            values[measure.name] = round(float(measure.impl(data["yt"], scores)), 6)
        values |= eer_interval(params, pair, space_name, data["yt"], scores, data["groups"])
    except TlbenchError as exc:
        raise TlbenchError(f"{pair}, {space_name}: {exc}") from None
    return values, scores


def eer_interval(params: Params, pair: str, space: str, labels, scores, groups) -> dict:
    """The EER's percentile bootstrap interval over the target's test clips (`uncertainty`), and the number
    of units resampled (clips, or contiguous blocks of a scene with fewer clips than `min_units`)."""
    from ...methods.uncertainty import bootstrap_eer, resampling_units, seed_for

    u = params.model.uncertainty
    low, high = bootstrap_eer(labels, scores, groups, u.resamples, u.level, seed_for(params.seed, "eer", pair, space),
                              u.min_units)
    return {"eer_ci": [round(low, 6), round(high, 6)],
            "eer_ci_units": int(resampling_units(groups, u.min_units).max()) + 1}


def row(params: Params, source: str, target: str, space: str, values: dict, scores: np.ndarray, data: dict) -> dict:
    a, meta = params.model.anomaly, data["meta"]
    return {
        "experiment": "anomaly", "profile": params.profile, "source": source, "target": target, "space": space,
        **values, "n_train": len(data["Xs"]), "n_test": len(data["Xt"]), "n_anomalous": int(data["yt"].sum()),
        "distinct_scores": int(len(np.unique(scores))), "backbone": meta["backbone"],
        "layer": meta["layers"][0]["index"], "node": meta["layers"][0]["node"], "weights_id": meta["weights_id"],
        "precision": meta["precision"], "detector": a.detector.model_dump(), "pca_components": a.pca["n_components"],
        "tca": a.tca.model_dump(), "smoothing": a.smoothing, "seed": params.seed,
        "uncertainty": params.model.uncertainty.model_dump(exclude={"alpha"}),
    }


def evaluate_pair(params: Params, source: str, target: str) -> tuple[dict, dict]:
    """One source -> target pair: its record (rows per space, versions, preprocessing) and its scores
    (labels, groups and the smoothed scores per space). Pure: the caller writes them."""
    SCENES[source], SCENES[target]  # an unknown name fails here, with the valid ones
    data = load_pair(params, source, target)
    rows, scores = [], {"labels": data["yt"], "groups": data["groups"]}
    for space in params.model.anomaly.spaces:
        values, scores[space] = evaluate_space(params, space, data, f"{source} -> {target}")
        rows.append(row(params, source, target, space, values, scores[space], data))
    record = {"rows": rows, "versions": library_versions(), "preprocessing": data["meta"]["preprocessing_text"],
              "target_preprocessing": data["meta_t"]["preprocessing_text"]}
    return record, scores


def _summary(record: dict) -> str:
    return "; ".join(f"{r['source']} -> {r['target']} {r['space']}: " +
                     ", ".join(f"{MEASURES.label(m.name)} {r[m.name]:.2f}" for m in measures("scores"))
                     for r in record["rows"])


def run(params: Params, progress: bool = True) -> None:
    """Every source -> target pair (on Ray when `extract.backend: ray`), written atomically: one record
    and one score file per pair, in two folders that replace the old ones only when all pairs are done."""
    from ...io import atomic_dir
    from ...scale import fan_out

    jobs = pairs(params)
    results = fan_out(params, evaluate_pair, [(params, s, t) for s, t in jobs], desc="anomaly pairs", progress=progress)
    with atomic_dir(params.resolve_path(paths.ANOMALY_RECORDS)) as records, \
            atomic_dir(params.resolve_path(paths.ANOMALY_SCORES)) as scores:
        for (source, target), (record, pair_scores) in zip(jobs, results):
            pair = paths.anomaly_pair(source, target)
            write_json(records / f"{pair}.json", record)
            np.savez(scores / f"{pair}.npz", **pair_scores)
            print(_summary(record))


if __name__ == "__main__":
    raise SystemExit(main(run))
