"""Feature spaces for cross-domain anomaly detection (registry `SPACES`): raw (z-scored with the
source's statistics), PCA (fitted on the source) and TCA (fitted on source and target)."""
from __future__ import annotations

import zlib

import numpy as np
from sklearn.preprocessing import StandardScaler

from ..errors import TlbenchError
from .pca import exact_pca
from .registry import SPACES
from .tca import TCA


class Space:
    """A feature space fitted on source (and, for TCA, target) training frames."""

    def __init__(self, kind: str, *, n_components: int, tca: dict | None = None, seed: int = 0,
                 max_samples_per_domain: int | None = None):
        self.kind, self.n_components, self.tca, self.seed = kind, n_components, tca or {}, seed
        self.max_samples_per_domain = max_samples_per_domain

    def fit(self, source_train: np.ndarray, target_train: np.ndarray) -> Space:
        """Every space z-scores with the statistics of all the source's training frames first."""
        self.scaler_ = StandardScaler().fit(source_train)
        fit_model = SPACES.impl(self.kind)
        self.model_ = fit_model(self, self.scaler_.transform(source_train), self.scaler_.transform(target_train))
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        Z = self.scaler_.transform(X)
        return Z if self.model_ is None else self.model_.transform(Z)


def _raw(space: Space, source: np.ndarray, target: np.ndarray) -> None:
    return None


def _pca(space: Space, source: np.ndarray, target: np.ndarray):
    if space.n_components > min(source.shape):
        raise TlbenchError(f"PCA: n_components={space.n_components} exceeds min(samples, features) = "
                           f"{min(source.shape)}: lower anomaly.pca.n_components")
    return exact_pca(space.n_components).fit(source)


def subsample(X: np.ndarray, n: int | None, rng: np.random.Generator) -> np.ndarray:
    """At most n rows of X, in their order (all of them when n is None or X is small)."""
    return X if n is None or len(X) <= n else X[np.sort(rng.choice(len(X), n, replace=False))]


def _tca(space: Space, source: np.ndarray, target: np.ndarray) -> TCA:
    # the kernel is n x n: fit on at most max_samples_per_domain frames per domain, drawn with a
    # generator seeded by the run's seed and the space's name (stable when spaces are added)
    rng = np.random.default_rng([space.seed, zlib.crc32(space.kind.encode())])
    cap = space.max_samples_per_domain
    return TCA(**space.tca).fit(subsample(source, cap, rng), subsample(target, cap, rng))


SPACES.implement("raw", _raw)
SPACES.implement("pca", _pca)
SPACES.implement("tca", _tca)
