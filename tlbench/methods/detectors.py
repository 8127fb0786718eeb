"""One-class detectors (registry `DETECTORS`) with `score(X)`: higher = more anomalous."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.covariance import LedoitWolf
from sklearn.ensemble import IsolationForest
from sklearn.svm import OneClassSVM

from .registry import DETECTORS


class Detector(BaseEstimator):
    """One-class detector with `score(X)`: higher = more anomalous. kind: ocsvm | iforest | mahalanobis."""

    def __init__(self, kind: str = "ocsvm", nu: float = 0.1, kernel: str = "rbf", gamma: str | float = "scale",
                 n_estimators: int = 200, random_state: int = 0):
        self.kind, self.nu, self.kernel, self.gamma = kind, nu, kernel, gamma
        self.n_estimators, self.random_state = n_estimators, random_state

    def fit(self, X, y=None):
        self.model_ = DETECTORS.impl(self.kind)(self).fit(np.asarray(X, dtype=np.float64))
        self.gamma_ = getattr(self.model_, "gamma_", None)
        return self

    def score(self, X) -> np.ndarray:
        return self.model_.score(np.asarray(X, dtype=np.float64))


class _OCSVM:
    def __init__(self, d: Detector):
        self.nu, self.kernel, self.gamma = d.nu, d.kernel, d.gamma

    def fit(self, X):
        gamma = {"scale": 1.0 / (X.shape[1] * X.var()), "auto": 1.0 / X.shape[1]}.get(self.gamma, self.gamma)
        self.gamma_ = float(gamma)
        self.svm_ = OneClassSVM(nu=self.nu, kernel=self.kernel, gamma=self.gamma_).fit(X)
        return self

    def score(self, X):
        if self.kernel != "rbf":
            return -self.svm_.decision_function(X)
        # -log sum_i alpha_i exp(-gamma |x - sv_i|^2): the same ranking as the decision function
        # (sum_i alpha_i k(x, sv_i) - rho), but frames far from every support vector keep
        # distinct scores instead of all underflowing to -rho.
        from scipy.special import logsumexp
        from sklearn.metrics.pairwise import euclidean_distances

        d2 = euclidean_distances(X, self.svm_.support_vectors_, squared=True)
        alpha = self.svm_.dual_coef_.ravel()
        return -logsumexp(-self.gamma_ * d2 + np.log(alpha)[None, :], axis=1)


class _IsolationForest:
    def __init__(self, d: Detector):
        self.forest = IsolationForest(n_estimators=d.n_estimators, random_state=d.random_state)

    def fit(self, X):
        self.forest.fit(X)
        return self

    def score(self, X):
        return -self.forest.score_samples(X)


class _Mahalanobis:
    def __init__(self, d: Detector):
        self.cov = LedoitWolf()

    def fit(self, X):
        self.cov.fit(X)
        return self

    def score(self, X):
        return self.cov.mahalanobis(X)


DETECTORS.implement("ocsvm", _OCSVM)
DETECTORS.implement("iforest", _IsolationForest)
DETECTORS.implement("mahalanobis", _Mahalanobis)
