"""Stage anomaly_gamma: the one RBF width per space that the detector uses for every domain
(`anomaly.detector.gamma: shared`, the CDFG's "same admissible functions"): 1 / (d * var) of the
training frames of all scenes pooled, each scene in its own in-domain space."""
from __future__ import annotations

import numpy as np

from ... import paths
from ...io import write_json
from ...params import Params
from ..stage import main
from .common import fit_space, load_split


def shared_gamma(params: Params, space: str) -> float:
    embedded = []
    for scene in params.model.anomaly.scenes:
        X = load_split(params, scene, "train")[0]
        embedded.append(fit_space(params, space, X, X).transform(X))
    Z = np.vstack(embedded)
    return float(1.0 / (Z.shape[1] * Z.var()))


def run(params: Params, progress: bool = True) -> str:
    gammas = {space: shared_gamma(params, space) for space in params.model.anomaly.spaces}
    write_json(params.resolve_path(paths.ANOMALY_GAMMA), {"gamma": gammas, "scenes": params.model.anomaly.scenes})
    return ", ".join(f"{k} {v:.3g}" for k, v in gammas.items())


if __name__ == "__main__":
    raise SystemExit(main(run))
