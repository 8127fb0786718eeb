"""Transferability measures against slow implementations written from each paper's formula."""
import itertools

import numpy as np
import pytest

from tlbench.methods.layer_ranking import h_score, leep, log_evidence, logme, logme_class


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
    scales = np.array([6, 3, 1.5, 0.7, 0.3, 0.1])  # anisotropic: Ledoit-Wolf shrinks little (alpha ~ 0.06)
    F = (rng.normal(size=(60, 6)) + 0.8 * np.eye(3, 6)[y]) * scales
    lw = LedoitWolf().fit(F)
    assert 0 < lw.shrinkage_ < 0.5
    assert ledoit_wolf_shrinkage(F - F.mean(0)) == pytest.approx(lw.shrinkage_, rel=1e-9)
    Fc = F - F.mean(0)
    g = np.stack([Fc[y == c].mean(0) for c in y])
    # Ibrahim et al. (2022), H_alpha = tr(Sigma_alpha^-1 (1 - alpha) Sigma_between), Sigma_alpha = Ledoit-Wolf's
    alpha = lw.shrinkage_
    expected = np.trace(np.linalg.inv(lw.covariance_) @ ((1 - alpha) * g.T @ g / 60))
    assert h_score_shrinkage(F, y) == pytest.approx(expected, rel=1e-9)
    narrow_noise = rng.normal(size=(60, 6)) * scales
    assert h_score_shrinkage(F, y) > 1.5 * h_score_shrinkage(narrow_noise, y)
    wide_noise, wide_signal = rng.normal(size=(60, 500)), rng.normal(size=(60, 500)) + np.eye(3, 500)[y] * 2
    assert h_score(wide_noise, y) == pytest.approx(2.0) == pytest.approx(h_score(wide_signal, y))  # saturated
    assert h_score_shrinkage(wide_noise, y) != pytest.approx(h_score_shrinkage(wide_signal, y), rel=1e-3)


def test_shrinkage_h_score_ranks_feature_sets_with_different_shrinkage_as_the_paper_s_formula():
    """Two feature sets whose Ledoit-Wolf intensities differ a lot: the (1 - alpha) of Ibrahim et al.
    decides which one ranks first (without it the ranking flipped)."""
    from sklearn.covariance import LedoitWolf

    from tlbench.methods.layer_ranking import h_score_shrinkage

    def paper(F, y):
        lw = LedoitWolf().fit(F)
        Fc = F - F.mean(0)
        g = np.stack([Fc[y == c].mean(0) for c in y])
        return float(np.trace(np.linalg.inv(lw.covariance_) @ ((1 - lw.shrinkage_) * g.T @ g / len(F)))), lw.shrinkage_

    rng = np.random.default_rng(7)
    y = np.repeat([0, 1], 30)
    few = (rng.normal(size=(60, 4)) + 0.9 * np.eye(2, 4)[y]) * np.array([4, 2, 1, 0.3])  # little shrinkage
    many = rng.normal(size=(60, 300)) + 0.6 * np.eye(2, 300)[y] * np.sqrt(300 / 10)  # n << d: heavy shrinkage
    (h_few, a_few), (h_many, a_many) = paper(few, y), paper(many, y)
    assert a_many - a_few > 0.3
    assert h_score_shrinkage(few, y) == pytest.approx(h_few, rel=1e-9)
    assert h_score_shrinkage(many, y) == pytest.approx(h_many, rel=1e-9)
    assert (h_score_shrinkage(few, y) > h_score_shrinkage(many, y)) == (h_few > h_many)


def test_a_layer_s_decompositions_serve_every_task_only_for_the_same_array():
    """ph2_evaluate scores both tasks with one feature matrix: the label-free decompositions are computed
    once for it (LastArrayMemo), and an array with other values is decomposed anew, never served stale."""
    from tlbench.methods.layer_ranking import LastArrayMemo, h_score_shrinkage

    calls = []
    memo = LastArrayMemo(lambda F: calls.append(1) or float(F.sum()))
    A = np.ones((3, 4))
    assert memo(A) == memo(A) == 12.0 and len(calls) == 1
    B = A.copy()
    assert memo(B) == 12.0 and len(calls) == 2  # equal values, another object: computed again
    rng = np.random.default_rng(3)
    F, G = rng.normal(size=(40, 300)), rng.normal(size=(40, 300)) * 3 + 1
    y = rng.integers(0, 3, 40)
    first = [h_score_shrinkage(F, y), h_score_shrinkage(G, y), h_score_shrinkage(F, y)]
    fresh = [h_score_shrinkage(F.copy(), y), h_score_shrinkage(G.copy(), y)]
    assert first[0] == first[2] == fresh[0] and first[1] == fresh[1] and first[0] != first[1]


@pytest.mark.parametrize("d", [30, 500])  # fewer features than images (SVD of F), more (QR of F')
def test_every_measure_of_a_layer_from_one_decomposition_equals_its_direct_products(d):
    """The measures take every Gram matrix from one QR of the centred features; LogME's uncentred F F' is
    rebuilt from the centred one and the mean. On float32 features far from zero (post-ReLU maps plus an
    offset, where the mean dominates F F'), each measure equals its value from products formed directly."""
    from sklearn.covariance import LedoitWolf

    from tlbench.methods.layer_ranking import h_score_shrinkage

    rng = np.random.default_rng(d)
    y = np.repeat([0, 1, 2], [25, 20, 15])
    F = (np.maximum(rng.normal(size=(60, d)) + 1.5 * np.eye(3, d)[y], 0) + 5.0).astype(np.float32)
    Fd = F.astype(np.float64)
    sigma, U = np.linalg.eigh(Fd @ Fd.T)  # LogME on F as it is (You et al. 2021)
    direct = np.mean([logme_class(None, (y == c).astype(np.float64), gram=(np.clip(sigma, 0, None), U))
                      for c in np.unique(y)])
    assert logme(F, y) == pytest.approx(direct, rel=1e-9)
    Fc = Fd - Fd.mean(0)
    g = np.stack([Fc[y == c].mean(0) for c in y])
    between = g.T @ g / len(F)
    plain = np.trace(np.linalg.pinv(Fc.T @ Fc / len(F)) @ between) if d < 60 else 2.0  # saturated: classes - 1
    assert h_score(F, y) == pytest.approx(plain, rel=1e-7)
    lw = LedoitWolf().fit(Fd)
    paper = np.trace(np.linalg.inv(lw.covariance_) @ ((1 - lw.shrinkage_) * between))
    assert h_score_shrinkage(F, y) == pytest.approx(paper, rel=1e-7)


def test_the_centred_features_singular_vectors_from_their_gram_matrix_are_the_svd_s():
    """More features than images: U and S come from the eigh of the centred Gram matrix with the ones vector
    taken out. They must be the thin SVD's (LAPACK on the centred float64 features): the same values in the
    same (descending) order, the same spans, and the ones vector last with singular value 0."""
    from tlbench.methods.layer_ranking import _layer_basis

    rng = np.random.default_rng(5)
    F = (np.maximum(rng.normal(size=(50, 700)), 0) * rng.uniform(0.01, 3, 700)).astype(np.float32)
    basis = _layer_basis(F, block=128)  # several blocks
    Fc = F.astype(np.float64) - F.astype(np.float64).mean(0)
    U, S, _ = np.linalg.svd(Fc, full_matrices=False)
    np.testing.assert_allclose(basis.S[:-1], S[:-1], rtol=1e-9)
    assert basis.S[-1] == 0.0 and S[-1] < 1e-12 * S[0]
    np.testing.assert_allclose(np.abs(basis.U[:, -1]), np.full(50, 50 ** -0.5), rtol=1e-12)
    np.testing.assert_allclose(np.abs(np.sum(basis.U[:, :-1] * U[:, :-1], axis=0)), 1.0, atol=1e-8)


@pytest.mark.parametrize("rank_cut", ["repeated images mixing a few directions", "fewer live features than images"])
def test_rank_deficient_features_keep_their_zero_singular_values(rank_cut):
    """Where the features span fewer than n - 1 directions, their Gram matrix cannot tell its rounding
    (~1e-16 of its largest eigenvalue, a singular value of ~1e-8 of the largest) from a small singular value:
    the layer's S must still be the SVD's, zeros within 1e-12 of the largest, and the H-score (Bao et al. 2019:
    tr(cov(f)^+ cov(E[f | y])), the pseudo-inverse over the features' span) its covariance definition."""
    from tlbench.methods.layer_ranking import _layer_basis

    rng = np.random.default_rng(6)
    y = np.repeat([0, 1, 2], [20, 20, 20])
    if rank_cut.startswith("repeated"):
        F = np.repeat(rng.normal(size=(30, 8)) + 0.5 * np.eye(3, 8)[y[::2]], 2, axis=0) @ rng.normal(size=(8, 400))
    else:
        F = np.zeros((60, 400))
        F[:, :12] = rng.normal(size=(60, 12)) + 0.5 * np.eye(3, 12)[y]
    F = F.astype(np.float32)
    Fc = F.astype(np.float64) - F.astype(np.float64).mean(0)
    S = np.linalg.svd(Fc, compute_uv=False)
    np.testing.assert_allclose(_layer_basis(F).S, S, rtol=0, atol=1e-12 * S[0])
    g = np.stack([Fc[y == c].mean(0) for c in y])
    plain = np.trace(np.linalg.pinv(Fc.T @ Fc / len(F), hermitian=True) @ (g.T @ g / len(F)))
    assert plain < 1.9  # not saturated: the test can tell
    assert h_score(F, y) == pytest.approx(plain, rel=1e-6)
