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
    mu * tr(W'W), subject to W'KHKW = I (the embedding keeps the data's variance). Its solution is
    the top `n_components` eigenvectors of the symmetric-definite generalized problem
    KHK w = lambda (KLK + mu I) w, solved as a symmetric eigenproblem (`generalized_eigh_rank_one`;
    not by forming (KLK + mu I)^-1 KHK, which is not symmetric). New points embed as k(x, X) W.

    normalise: "pan" scales the eigenvectors so that W'KHKW = I, Pan's constraint: every component
    of the embedding has unit variance over the training frames. "b_orthonormal" keeps eigh's
    W'(KLK + mu I)W = I, where component k's variance is its eigenvalue (before 2026-11: the default).

    solver: "dual" works on the n x n kernel; "primal" (linear kernel only) solves the same problem
    through the thin SVD X = U S V' in at most d x d: for K = XX' the optimum is W = U A, with A from
    S^2 U'HU S^2 a = lambda (S^2 U'e e'U S^2 + mu I) a, and new points embed as x V S A. Both give the
    same subspace, scale and embedding (tested); "auto" picks primal when linear and n > d.
    """

    def __init__(self, n_components: int = 32, kernel: str = "linear", mu: float = 1.0, gamma: float | None = None,
                 solver: str = "auto", normalise: str = "pan", max_memory_fraction: float = 0.5):
        self.n_components = n_components
        self.kernel = kernel
        self.mu = mu
        self.gamma = gamma
        self.solver = solver
        self.normalise = normalise
        self.max_memory_fraction = max_memory_fraction

    def _kernel(self, A, B):
        if self.kernel == "linear":
            return linear_kernel(A, B)
        if self.kernel == "rbf":
            return rbf_kernel(A, B, gamma=self.gamma_)
        raise TlbenchError(f"TCA kernel {self.kernel!r} is unknown: use linear or rbf")

    def _check(self, Xs, Xt) -> tuple[np.ndarray, np.ndarray]:
        Xs, Xt = np.asarray(Xs, dtype=np.float64), np.asarray(Xt, dtype=np.float64)
        if Xs.ndim != 2 or Xt.ndim != 2 or Xs.shape[1] != Xt.shape[1]:
            raise TlbenchError(f"TCA: source features {Xs.shape} and target features {Xt.shape} must have the same "
                               f"dimension: extract both domains with the same backbone and layer")
        if not (np.isfinite(Xs).all() and np.isfinite(Xt).all()):
            raise TlbenchError("TCA: the features contain NaN or inf: re-run extraction in fp32")
        if self.normalise not in ("pan", "b_orthonormal"):
            raise TlbenchError(f"TCA normalise {self.normalise!r} is unknown: use pan or b_orthonormal")
        return Xs, Xt

    def _choose_solver(self, n: int, d: int) -> str:
        solver = self.solver if self.solver != "auto" else ("primal" if self.kernel == "linear" and n > d else "dual")
        if solver == "primal" and self.kernel != "linear":
            raise TlbenchError("TCA: the primal solver needs the linear kernel")
        size = min(n, d) if solver == "primal" else n
        if self.n_components > size:
            raise TlbenchError(f"TCA: n_components={self.n_components} exceeds the {size} available "
                               f"{'dimensions' if solver == 'primal' else 'samples'}: lower anomaly.tca.n_components")
        need = (4 * size * size + (3 * n * d if solver == "primal" else 0)) * 8  # float64 matrices and workspace
        if need > self.max_memory_fraction * _available_bytes():
            raise TlbenchError(f"TCA would build {size}x{size} matrices ({need / 2**30:.1f} GiB) with "
                               f"{_available_bytes() / 2**30:.1f} GiB free: lower anomaly.tca.max_samples_per_domain")
        return solver

    def _fit_dual(self, X: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        K = self._kernel(X, X)
        K1 = K.sum(axis=1)
        A, v = K @ K - np.outer(K1, K1) / len(X), K @ e  # KHK; KLK = v v'
        return generalized_eigh_rank_one(A, v, self.mu, self.n_components)

    def _fit_primal(self, X: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The dual problem's eigenpairs for K = XX', through the thin SVD; returns (values, V S A)."""
        U, S, Vt = np.linalg.svd(X, full_matrices=False)
        keep = S > S[0] * max(X.shape) * np.finfo(np.float64).eps if len(S) else S > 0
        U, S, Vt = U[:, keep], S[keep], Vt[keep]
        if self.n_components > len(S):
            raise TlbenchError(f"TCA: n_components={self.n_components} exceeds the rank {len(S)} of the frames: "
                               f"lower anomaly.tca.n_components")
        s2, u = S**2, U.sum(axis=0)  # u = U'1
        A = s2[:, None] * (np.eye(len(S)) - np.outer(u, u) / len(X)) * s2[None, :]  # S^2 U'HU S^2
        vals, coef = generalized_eigh_rank_one(A, s2 * (U.T @ e), self.mu, self.n_components)
        return vals, (Vt.T * S) @ coef

    def fit(self, Xs, Xt, y=None):
        Xs, Xt = self._check(Xs, Xt)
        ns, nt = len(Xs), len(Xt)
        X = np.vstack([Xs, Xt])
        self.solver_ = self._choose_solver(*X.shape)
        self.gamma_ = self.gamma if self.gamma is not None else 1.0 / (X.shape[1] * X.var())
        e = np.concatenate([np.full(ns, 1.0 / ns), np.full(nt, -1.0 / nt)])  # L = e e'
        vals, vecs = (self._fit_primal if self.solver_ == "primal" else self._fit_dual)(X, e)
        order = np.argsort(vals)[::-1]
        vals, vecs = vals[order], vecs[:, order]
        if self.normalise == "pan":  # W'KHKW = diag(vals) -> I
            if vals[-1] <= 0:
                raise TlbenchError(f"TCA: component {len(vals)} carries no variance (eigenvalue {vals[-1]:.3g}): "
                                   f"lower anomaly.tca.n_components")
            vecs = vecs / np.sqrt(vals)
        self.eigenvalues_, self.components_ = vals, vecs
        self.X_fit_ = None if self.solver_ == "primal" else X
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float64)
        if self.solver_ == "primal":
            return X @ self.components_
        return self._kernel(X, self.X_fit_) @ self.components_
