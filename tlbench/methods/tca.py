"""Transfer Component Analysis (Pan, Tsang, Kwok and Yang, IEEE TNN 2011) as a scikit-learn transformer."""
from __future__ import annotations

import os

import numpy as np
from scipy.linalg import eigh
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.metrics.pairwise import linear_kernel, rbf_kernel

from ..errors import TlbenchError


def _available_bytes() -> int:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 << 30


def generalized_eigh_rank_one(A: np.ndarray, v: np.ndarray, mu: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k solutions of the symmetric-definite problem A w = lambda (v v' + mu I) w.

    This is `scipy.linalg.eigh(A, B, subset_by_index=...)` with B = v v' + mu I, reduced to a
    standard symmetric problem with the exact inverse square root of B,
    B^(-1/2) = (I + c u u') / sqrt(mu), u = v / sqrt(mu), c = (1/sqrt(1 + u'u) - 1) / u'u.
    eigh's Cholesky of B fails once v v' dwarfs mu (unscaled kernels: condition numbers of 1e16);
    this reduction does not, and returns the same B-orthonormal vectors (w' B w = 1)."""
    if mu <= 0:
        raise TlbenchError(f"TCA: mu must be positive (got {mu}): set anomaly.tca.mu > 0")
    n = len(v)
    u = v / np.sqrt(mu)
    uu = float(u @ u)
    c = (1 / np.sqrt(1 + uu) - 1) / uu if uu > 0 else 0.0

    def inv_sqrt_b(M: np.ndarray) -> np.ndarray:
        return (M + c * np.outer(u, u @ M)) / np.sqrt(mu)

    C = inv_sqrt_b(inv_sqrt_b((A + A.T) / 2).T)
    vals, Y = eigh((C + C.T) / 2, subset_by_index=[n - k, n - 1])
    return vals, inv_sqrt_b(Y)


class TCA(TransformerMixin, BaseEstimator):
    """Transfer Component Analysis (Pan, Tsang, Kwok and Yang, IEEE TNN 2011).

    Learns W minimising the MMD between the source and target embeddings, tr(W'KLKW), plus
    mu * tr(W'W), while preserving their variance, W'KHKW = I. Its solution is the top
    `n_components` eigenvectors of the symmetric-definite generalized problem
    KHK w = lambda (KLK + mu I) w, solved as a symmetric eigenproblem (`generalized_eigh_rank_one`;
    not by forming (KLK + mu I)^-1 KHK, which is not symmetric). New points embed as k(x, X) W.

    kernel: "linear" or "rbf". solver: "dual" (the n x n kernel form above), "primal" (linear
    kernel only: the same problem in the d x d feature space, X'HX p = lambda (X'LX + mu I) p,
    where mu then penalises tr(P'P)) or "auto" (primal when linear and n > d).
    """

    def __init__(self, n_components: int = 32, kernel: str = "linear", mu: float = 1.0, gamma: float | None = None,
                 solver: str = "auto", max_memory_fraction: float = 0.5):
        self.n_components = n_components
        self.kernel = kernel
        self.mu = mu
        self.gamma = gamma
        self.solver = solver
        self.max_memory_fraction = max_memory_fraction

    def _kernel(self, A, B):
        if self.kernel == "linear":
            return linear_kernel(A, B)
        if self.kernel == "rbf":
            return rbf_kernel(A, B, gamma=self.gamma_)
        raise TlbenchError(f"TCA kernel {self.kernel!r} is unknown: use linear or rbf")

    def fit(self, Xs, Xt, y=None):
        Xs, Xt = np.asarray(Xs, dtype=np.float64), np.asarray(Xt, dtype=np.float64)
        if Xs.ndim != 2 or Xt.ndim != 2 or Xs.shape[1] != Xt.shape[1]:
            raise TlbenchError(f"TCA: source features {Xs.shape} and target features {Xt.shape} must have the same "
                               f"dimension: extract both domains with the same backbone and layer")
        if not (np.isfinite(Xs).all() and np.isfinite(Xt).all()):
            raise TlbenchError("TCA: the features contain NaN or inf: re-run extraction in fp32")
        ns, nt = len(Xs), len(Xt)
        X = np.vstack([Xs, Xt])
        n, d = X.shape
        solver = self.solver if self.solver != "auto" else ("primal" if self.kernel == "linear" and n > d else "dual")
        if solver == "primal" and self.kernel != "linear":
            raise TlbenchError("TCA: the primal solver needs the linear kernel")
        size = d if solver == "primal" else n
        if self.n_components > size:
            raise TlbenchError(f"TCA: n_components={self.n_components} exceeds the {size} available "
                               f"{'features' if solver == 'primal' else 'samples'}: lower anomaly.tca.n_components")
        need = 4 * size * size * 8  # the matrix, two products and eigh's workspace, float64
        if need > self.max_memory_fraction * _available_bytes():
            raise TlbenchError(f"TCA would build {size}x{size} matrices ({need / 2**30:.1f} GiB) with "
                               f"{_available_bytes() / 2**30:.1f} GiB free: lower anomaly.tca.max_samples_per_domain")
        self.gamma_ = self.gamma if self.gamma is not None else 1.0 / (d * X.var())
        e = np.concatenate([np.full(ns, 1.0 / ns), np.full(nt, -1.0 / nt)])  # L = e e'
        if solver == "primal":
            Xc = X - X.mean(axis=0)
            A, v = Xc.T @ Xc, X.T @ e  # X'HX; X'LX = v v'
        else:
            K = self._kernel(X, X)
            K1 = K.sum(axis=1)
            A, v = K @ K - np.outer(K1, K1) / n, K @ e  # KHK; KLK = v v'
        vals, vecs = generalized_eigh_rank_one(A, v, self.mu, self.n_components)
        order = np.argsort(vals)[::-1]
        self.eigenvalues_, self.components_ = vals[order], vecs[:, order]
        self.solver_, self.X_fit_ = solver, (None if solver == "primal" else X)
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float64)
        if self.solver_ == "primal":
            return X @ self.components_
        return self._kernel(X, self.X_fit_) @ self.components_
