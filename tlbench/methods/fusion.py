"""Multi-layer fusion (seed Table 7 and recipe FE3): descriptors aligned on the training split,
concatenated, reduced with PCA (fitted on the training split) and classified with a linear SVM."""
from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler, normalize
from sklearn.svm import SVC

from ..errors import TlbenchError
from .pca import exact_pca


def align(train: np.ndarray, test: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Bring one descriptor to a common scale so that neither dominates the concatenation."""
    if how == "standardize":
        scaler = StandardScaler().fit(train)
        return scaler.transform(train), scaler.transform(test)
    if how == "l2":
        return normalize(train), normalize(test)
    raise TlbenchError(f"fusion.align {how!r}: use standardize or l2")


def evaluate_column(descriptors: list[np.ndarray], y: np.ndarray, train: np.ndarray, test: np.ndarray,
                    n_components: list[int], how: str, C: float) -> dict[int, float]:
    parts = [align(d[train], d[test], how) for d in descriptors]
    Xtr = np.hstack([p[0] for p in parts])
    Xte = np.hstack([p[1] for p in parts])
    out = {}
    for n in n_components:
        if n > min(Xtr.shape):
            raise TlbenchError(f"PCA to {n} features needs at least {n} training images and features, the split has "
                               f"{Xtr.shape[0]} x {Xtr.shape[1]}: lower fusion.n_components or the test share")
        pca = exact_pca(n).fit(Xtr)
        clf = SVC(kernel="linear", C=C).fit(pca.transform(Xtr), y[train])
        out[n] = float((clf.predict(pca.transform(Xte)) == y[test]).mean())
    return out
