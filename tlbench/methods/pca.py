"""PCA by a full SVD, for every space and fusion: deterministic whatever the shapes (sklearn's `auto`
picks the randomized solver for large inputs, whose components depend on a random state)."""
from __future__ import annotations

from sklearn.decomposition import PCA


def exact_pca(n_components: int) -> PCA:
    return PCA(n_components, svd_solver="full")
