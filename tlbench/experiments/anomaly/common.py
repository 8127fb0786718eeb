"""What the anomaly stages share: a scene's stored features, the registered measures, the seed's spaces
and detector as the params set them, and the source -> target pairs. A library, not a stage: anomaly_evaluate,
anomaly_gamma and anomaly_beyond import it, so editing one stage re-runs only that stage."""
from __future__ import annotations

import numpy as np

from ... import paths
from ...errors import TlbenchError
from ...io import load_features, load_meta, load_npy, read_json
from ...methods.registry import MEASURES
from ...params import Params


def load_split(params: Params, scene: str, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    d = params.resolve_path(paths.ANOMALY_FEATURES / scene / split)
    meta = load_meta(d)
    X = np.asarray(load_features(d, meta["layers"][0]["node"]), dtype=np.float64)
    if not np.isfinite(X).all():
        raise TlbenchError(f"{d}: features contain NaN or inf: re-run `dvc repro anomaly_extract@{scene}` in fp32")
    return X, load_npy(d / "labels.npy"), load_npy(d / "groups.npy"), meta


def measures(computed_from: str) -> list:
    """Every registered measure computed from `computed_from` (each must be implemented): "scores" (labels and
    scores) or "domain" (the source's and the target's training frames: a gap)."""
    from ...methods import domain_gap, eer  # noqa: F401 (they implement eer, MMD, PAD, CORAL)

    return MEASURES.implemented(computed_from=computed_from)


def fit_space(params: Params, space_name: str, Xs: np.ndarray, Xt_train: np.ndarray):
    from ...methods.spaces import Space

    a = params.model.anomaly
    tca = a.tca.model_dump(exclude={"max_samples_per_domain"})
    return Space(space_name, n_components=a.pca["n_components"], tca=tca, seed=params.seed,
                 max_samples_per_domain=a.tca.max_samples_per_domain).fit(Xs, Xt_train)


def detector_for(params: Params, space_name: str):
    """The detector of the params; `gamma: shared` takes the space's width from the anomaly_gamma stage."""
    from ...methods.detectors import Detector

    settings = params.model.anomaly.detector.model_dump()
    if settings["gamma"] == "shared":
        path = params.resolve_path(paths.ANOMALY_GAMMA)
        if not path.is_file():
            raise TlbenchError(f"{path} not found: run the anomaly_gamma stage first (`dvc repro`)")
        settings["gamma"] = read_json(path)["gamma"][space_name]
    return Detector(random_state=params.seed, **settings)


def load_pair(params: Params, source: str, target: str) -> dict:
    Xs, _, groups_s, meta = load_split(params, source, "train")
    Xt_train, _, groups_t_train, meta_t = load_split(params, target, "train")
    Xt, yt, groups, _ = load_split(params, target, "test")
    if Xs.shape[1] != Xt.shape[1]:
        raise TlbenchError(f"{source} has {Xs.shape[1]} features per frame, {target} has {Xt.shape[1]}: "
                           f"extract both scenes with the same backbone and layer (`dvc repro`)")
    return {"Xs": Xs, "Xt_train": Xt_train, "Xt": Xt, "yt": yt, "groups": groups, "meta": meta, "meta_t": meta_t,
            "groups_s": groups_s, "groups_t_train": groups_t_train}


def pairs(params: Params) -> list[tuple[str, str]]:
    scenes = params.model.anomaly.scenes
    return [(source, target) for source in scenes for target in scenes]
