"""Every number means what its label says (issue 11): each test here fails on the behaviour before it."""
import warnings

import numpy as np
import pytest
import torch
from scipy.linalg import eig
from sklearn.metrics.pairwise import rbf_kernel

from tlbench.methods.tca import TCA


def domains(seed=0, n=(60, 50), d=8):
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(n[0], d)) * np.linspace(0.5, 2, d)
    Xt = rng.normal(size=(n[1], d)) * np.linspace(2, 0.5, d) + 0.7
    return Xs, Xt


def textbook_tca(K: np.ndarray, ns: int, nt: int, mu: float, m: int) -> np.ndarray:
    """Pan et al. 2011 as printed: L and H built explicitly, the top-m eigenvectors of
    (KLK + mu I)^-1 KHK, scaled so that W'KHKW = I; returns the embedding K W."""
    n = ns + nt
    L = np.block([[np.full((ns, ns), 1 / ns**2), np.full((ns, nt), -1 / (ns * nt))],
                  [np.full((nt, ns), -1 / (ns * nt)), np.full((nt, nt), 1 / nt**2)]])
    H = np.eye(n) - np.ones((n, n)) / n
    vals, vecs = eig(np.linalg.solve(K @ L @ K + mu * np.eye(n), K @ H @ K))
    top = np.argsort(-vals.real)[:m]
    W = vecs[:, top].real
    W /= np.sqrt(np.diag(W.T @ K @ H @ K @ W))
    return K @ W


def same_up_to_sign(A: np.ndarray, B: np.ndarray) -> float:
    sign = np.sign(np.sum(A * B, axis=0))
    return float(np.abs(A - B * sign).max() / np.abs(B).max())


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_tca_embedding_equals_the_textbook_construction(kernel):
    Xs, Xt = domains()
    X = np.vstack([Xs, Xt])
    tca = TCA(n_components=3, kernel=kernel, mu=1.0, gamma=0.05, solver="dual").fit(Xs, Xt)
    K = X @ X.T if kernel == "linear" else rbf_kernel(X, X, gamma=0.05)
    assert same_up_to_sign(tca.transform(X), textbook_tca(K, len(Xs), len(Xt), 1.0, 3)) < 1e-6


@pytest.mark.parametrize("normalise, constraint", [("pan", "KHK"), ("b_orthonormal", "B")])
def test_tca_normalisation(normalise, constraint):
    Xs, Xt = domains(1)
    X = np.vstack([Xs, Xt])
    tca = TCA(n_components=4, kernel="rbf", gamma=0.1, mu=2.0, solver="dual", normalise=normalise).fit(Xs, Xt)
    W, K, n = tca.components_, rbf_kernel(X, X, gamma=0.1), len(X)
    H = np.eye(n) - 1 / n
    e = np.r_[np.full(len(Xs), 1 / len(Xs)), np.full(len(Xt), -1 / len(Xt))]
    M = K @ H @ K if constraint == "KHK" else K @ np.outer(e, e) @ K + 2.0 * np.eye(n)
    np.testing.assert_allclose(W.T @ M @ W, np.eye(4), atol=1e-8)


@pytest.mark.parametrize("normalise", ["pan", "b_orthonormal"])
def test_primal_and_dual_tca_are_the_same_method(normalise):
    Xs, Xt = domains(2, n=(40, 30), d=6)
    primal = TCA(n_components=3, solver="primal", normalise=normalise).fit(Xs, Xt)
    dual = TCA(n_components=3, solver="dual", normalise=normalise).fit(Xs, Xt)
    np.testing.assert_allclose(primal.eigenvalues_, dual.eigenvalues_, rtol=1e-9)
    for X in (Xs, Xt, Xs[:5] * 3):
        assert same_up_to_sign(primal.transform(X), dual.transform(X)) < 1e-9


def test_bf16_on_a_cpu_without_native_bf16_warns(monkeypatch):
    from tlbench.models import device

    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(UserWarning, match="no native bf16"):
        assert device.resolve_precision("bf16", torch.device("cpu")) == "bf16"
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        device.resolve_precision("bf16", torch.device("cpu"))
    assert device.resolve_precision("auto", torch.device("cpu")) == "fp32"
