"""Feature spaces for cross-domain anomaly detection (registry `SPACES`): raw (z-scored with the
source's statistics), PCA (fitted on the source) and TCA (fitted on source and target)."""
from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from ..errors import TlbenchError
from .registry import SPACES
from .tca import TCA


class Space:
    """A feature space fitted on source (and, for TCA, target) training frames."""

    def __init__(self, kind: str, *, n_components: int, tca: dict | None = None, seed: int = 0):
        self.kind, self.n_components, self.tca, self.seed = kind, n_components, tca or {}, seed

    def fit(self, source_train: np.ndarray, target_train: np.ndarray) -> "Space":
        self.scaler_ = StandardScaler().fit(source_train)
        fit_model = SPACES.impl(self.kind)
        self.model_ = fit_model(self, self.scaler_.transform(source_train), self.scaler_.transform(target_train))
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        Z = self.scaler_.transform(X)
        return Z if self.model_ is None else self.model_.transform(Z)


def _raw(space: Space, source: np.ndarray, target: np.ndarray) -> None:
    return None


def _pca(space: Space, source: np.ndarray, target: np.ndarray) -> PCA:
    if space.n_components > min(source.shape):
        raise TlbenchError(f"PCA: n_components={space.n_components} exceeds min(samples, features) = "
                           f"{min(source.shape)}: lower anomaly.pca.n_components")
    return PCA(space.n_components, random_state=space.seed).fit(source)


def _tca(space: Space, source: np.ndarray, target: np.ndarray) -> TCA:
    return TCA(**space.tca).fit(source, target)


SPACES.implement("raw", _raw)
SPACES.implement("pca", _pca)
SPACES.implement("tca", _tca)
