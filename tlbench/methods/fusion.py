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
    largest = max(n_components)
    if largest > min(Xtr.shape):
        raise TlbenchError(f"PCA to {largest} features needs at least {largest} training images and features, the "
                           f"split has {Xtr.shape[0]} x {Xtr.shape[1]}: lower fusion.n_components or the test share")
    # PCA to n keeps the n leading components of the one full SVD: every size is a slice of the largest
    # (one SVD per column instead of one per size, which was most of fusion_evaluate's time)
    pca = exact_pca(largest).fit(Xtr)
    Ztr, Zte = pca.transform(Xtr), pca.transform(Xte)
    out = {}
    for n in n_components:
        clf = SVC(kernel="linear", C=C).fit(Ztr[:, :n], y[train])
        out[n] = float((clf.predict(Zte[:, :n]) == y[test]).mean())
    return out
