"""Transferability measures against slow implementations written from each paper's formula."""
import itertools

import numpy as np
import pytest

from tlbench.methods.domain_gap import coral_distance, mmd2_linear, mmd2_rbf, proxy_a_distance
from tlbench.methods.layer_ranking import h_score, leep, log_evidence, logme, logme_class


def two_domains(seed=0, m=40, n=30, d=5, shift=0.5):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, d)), rng.normal(size=(n, d)) * 1.3 + shift


def mmd2_double_sum(X, Y, k):
    """The unbiased estimator as defined: double sums over pairs, i != j within a domain."""
    m, n = len(X), len(Y)
    xx = sum(k(X[i], X[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(Y[i], Y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x, y) for x in X for y in Y) / (m * n)
    return xx + yy - 2 * xy


def test_mmd_matches_the_double_sum_definition():
    X, Y = two_domains()
    assert mmd2_linear(X, Y) == pytest.approx(mmd2_double_sum(X, Y, lambda a, b: a @ b), rel=1e-9)
    rbf = lambda a, b: np.exp(-0.2 * np.sum((a - b) ** 2))  # noqa: E731
    assert mmd2_rbf(X, Y, gamma=0.2) == pytest.approx(mmd2_double_sum(X, Y, rbf), rel=1e-9)
    same = np.random.default_rng(1).normal(size=(400, 5))
    assert abs(mmd2_rbf(same[:200], same[200:])) < 0.01 < mmd2_rbf(*two_domains(m=200, n=200, shift=1.0))


def test_pad_is_two_for_separable_and_zero_for_identical_domains():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    assert proxy_a_distance(X, X + 10) == pytest.approx(2.0)
    assert abs(proxy_a_distance(X[:100], X[100:])) < 0.4


def test_coral_matches_its_definition():
    X, Y = two_domains(2)
    d = X.shape[1]
    cs = (X - X.mean(0)).T @ (X - X.mean(0)) / (len(X) - 1)
    ct = (Y - Y.mean(0)).T @ (Y - Y.mean(0)) / (len(Y) - 1)
    assert coral_distance(X, Y) == pytest.approx(np.linalg.norm(cs - ct, "fro") ** 2 / (4 * d * d))


def test_logme_fixed_point_reaches_the_evidence_maximum_of_a_grid():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(60, 8))
    y = (F @ rng.normal(size=8) + 0.5 * rng.normal(size=60) > 0).astype(float)
    grid = np.logspace(-4, 4, 161)
    brute = max(log_evidence(F, y, a, b) for a, b in itertools.product(grid, grid))
    assert logme_class(F, y) >= brute - 1e-3
    assert logme_class(F, y) == pytest.approx(brute, abs=5e-3)


def test_logme_prefers_informative_features():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1, 2], 30)
    informative = np.eye(3)[y] * 3 + rng.normal(size=(90, 3))
    noise = rng.normal(size=(90, 3))
    assert logme(informative, y) > logme(noise, y)


def test_h_score_matches_its_covariance_definition():
    rng = np.random.default_rng(2)
    y = np.repeat([0, 1, 2], [20, 15, 25])
    F = rng.normal(size=(60, 4)) + np.eye(3, 4)[y]
    Fc = F - F.mean(0)
    cov = Fc.T @ Fc / len(F)
    g = np.stack([Fc[y == c].mean(0) for c in y])  # E[f | y] per sample
    between = g.T @ g / len(F)
    assert h_score(F, y) == pytest.approx(np.trace(np.linalg.inv(cov) @ between), rel=1e-9)
    wide = np.hstack([F, F @ rng.normal(size=(4, 50))])  # more features than images, same information
    assert h_score(wide, y) == pytest.approx(h_score(F, y), rel=1e-6)


def test_leep_by_hand_on_a_three_class_toy():
    theta = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.6, 0.3, 0.1]])
    y = np.array([0, 1, 1, 0])
    joint = np.array([[0.7 + 0.6, 0.2 + 0.3, 0.1 + 0.1], [0.1 + 0.2, 0.8 + 0.2, 0.1 + 0.6]]) / 4  # P(y, z)
    cond = joint / joint.sum(0)  # P(y | z)
    expected = np.mean([np.log(theta[i] @ cond[y[i]]) for i in range(4)])
    assert leep(theta, y) == pytest.approx(expected)


def test_shrinkage_h_score_matches_ledoit_wolf_and_does_not_saturate():
    from sklearn.covariance import LedoitWolf

    from tlbench.methods.layer_ranking import h_score_shrinkage, ledoit_wolf_shrinkage

    rng = np.random.default_rng(3)
    y = np.repeat([0, 1, 2], 20)
    F = rng.normal(size=(60, 6)) + 0.8 * np.eye(3, 6)[y]
    lw = LedoitWolf().fit(F)
    assert ledoit_wolf_shrinkage(F - F.mean(0)) == pytest.approx(lw.shrinkage_, rel=1e-9)
    Fc = F - F.mean(0)
    g = np.stack([Fc[y == c].mean(0) for c in y])
    assert h_score_shrinkage(F, y) == pytest.approx(np.trace(np.linalg.inv(lw.covariance_) @ (g.T @ g / 60)), rel=1e-9)
    narrow_noise = rng.normal(size=(60, 6))
    assert h_score_shrinkage(F, y) > 1.5 * h_score_shrinkage(narrow_noise, y)
    wide_noise, wide_signal = rng.normal(size=(60, 500)), rng.normal(size=(60, 500)) + np.eye(3, 500)[y] * 2
    assert h_score(wide_noise, y) == pytest.approx(2.0) == pytest.approx(h_score(wide_signal, y))  # saturated
    assert h_score_shrinkage(wide_noise, y) != pytest.approx(h_score_shrinkage(wide_signal, y), rel=1e-3)
