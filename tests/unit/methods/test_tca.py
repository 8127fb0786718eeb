import numpy as np
import pytest
from scipy.linalg import eigh

from tlbench.errors import TlbenchError
from tlbench.methods.tca import TCA, generalized_eigh_rank_one


def domains(seed=0, n=120, d=12, shift=2.0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(n, d)) * 1.3 + shift


def test_rank_one_solver_equals_scipy_generalized_eigh():
    rng = np.random.default_rng(0)
    M = rng.normal(size=(40, 40))
    A, v, mu = M @ M.T, rng.normal(size=40), 0.5
    B = np.outer(v, v) + mu * np.eye(40)
    ref_vals, ref_vecs = eigh(A, B, subset_by_index=[34, 39])
    vals, vecs = generalized_eigh_rank_one(A, v, mu, 6)
    np.testing.assert_allclose(vals, ref_vals, rtol=1e-9)
    np.testing.assert_allclose(np.abs(vecs), np.abs(ref_vecs), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(A @ vecs, B @ vecs * vals, rtol=1e-6, atol=1e-6)  # true generalized eigenvectors
    np.testing.assert_allclose(vecs.T @ B @ vecs, np.eye(6), atol=1e-8)


def test_rank_one_solver_stays_accurate_on_badly_scaled_kernels():
    # unscaled kernels of standardized 1000-d features make v v' dwarf mu (cond(B) ~ 1e18), where
    # eigh's Cholesky of B can fail; the reduction must still return generalized eigenvectors
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 1000)) * 3
    K = X @ X.T
    e = np.r_[np.full(100, 1 / 100), np.full(100, -1 / 100)]
    A, v = K @ K, K @ e * 1e6
    vals, W = generalized_eigh_rank_one(A, v, 1.0, 5)
    BW = np.outer(v, v @ W) + W
    norm_b = v @ v + 1.0
    for k in range(5):  # normwise backward error of each eigenpair
        w = W[:, k]
        residual = np.linalg.norm(A @ w - vals[k] * BW[:, k])
        assert residual / ((np.linalg.norm(A, 2) + abs(vals[k]) * norm_b) * np.linalg.norm(w)) < 1e-12
    np.testing.assert_allclose(W.T @ BW, np.eye(5), atol=1e-6)


@pytest.mark.parametrize("kernel,solver", [("linear", "dual"), ("linear", "primal"), ("rbf", "dual")])
def test_tca_brings_the_domains_closer(kernel, solver):
    Xs, Xt = domains()
    tca = TCA(n_components=4, kernel=kernel, mu=1.0, solver=solver).fit(Xs, Xt)
    Zs, Zt = tca.transform(Xs), tca.transform(Xt)
    assert Zs.shape == (120, 4) and tca.eigenvalues_[0] >= tca.eigenvalues_[-1]

    def gap(a, b):  # mean distance relative to the spread
        return np.linalg.norm(a.mean(0) - b.mean(0)) / np.sqrt(np.vstack([a, b]).var(0).sum())

    assert gap(Zs, Zt) < (0.5 if kernel == "linear" else 0.8) * gap(Xs, Xt)


def test_tca_auto_solver_and_guards():
    Xs, Xt = domains(n=50, d=8)
    assert TCA(4, solver="auto").fit(Xs, Xt).solver_ == "primal"  # n > d
    with pytest.raises(TlbenchError, match="n_components=9 exceeds the 8 available dimensions"):
        TCA(9, solver="primal").fit(Xs, Xt)
    with pytest.raises(TlbenchError, match="same dimension"):
        TCA(2).fit(Xs, Xt[:, :5])
    with pytest.raises(TlbenchError, match="primal solver needs the linear kernel"):
        TCA(2, kernel="rbf", solver="primal").fit(Xs, Xt)
    bad = Xt.copy()
    bad[0, 0] = np.inf
    with pytest.raises(TlbenchError, match="NaN or inf"):
        TCA(2).fit(Xs, bad)


def test_tca_refuses_a_kernel_that_does_not_fit_in_memory(monkeypatch):
    import tlbench.methods.tca as alg

    monkeypatch.setattr(alg, "_available_bytes", lambda: 1 << 20)
    Xs, Xt = domains(n=300, d=1000)
    with pytest.raises(TlbenchError, match=r"600x600 matrices .* lower anomaly\.tca\.max_samples_per_domain"):
        TCA(4, solver="dual").fit(Xs, Xt)
