"""Transferability measures against slow implementations written from each paper's formula."""
import numpy as np
import pytest

from tlbench.methods.domain_gap import coral_distance, mmd2_linear, mmd2_rbf, proxy_a_distance


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


def test_pad_of_one_distribution_is_zero_whatever_the_domain_sizes():
    """300 vs 2,000 frames of one distribution gave PAD 1.48 ("always target" is 87 % accurate)."""
    rng = np.random.default_rng(4)
    small, large = rng.normal(size=(300, 8)), rng.normal(size=(2000, 8))
    assert abs(proxy_a_distance(small, large)) < 0.3
    assert proxy_a_distance(small, large + 3) == pytest.approx(2.0, abs=0.05)  # still 2 when separable


def _clips(rng, n_clips: int, per_clip: int, d: int):
    """Frames of clips that each sit around their own mean, the means all drawn from one distribution."""
    means = rng.normal(size=(n_clips, d)) * 2
    frames = np.repeat(means, per_clip, axis=0) + 0.2 * rng.normal(size=(n_clips * per_clip, d))
    return frames, np.repeat(np.arange(n_clips), per_clip)


def test_pad_folds_keep_clips_together():
    """Two domains of clips from one distribution: with shuffled frames a frame's clip-mates are in the
    training folds and the classifier tells the domains apart by recognising clips; by clip, it cannot."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(5)
    (Xs, gs), (Xt, gt) = _clips(rng, 10, 30, 24), _clips(rng, 10, 30, 24)
    X, y = np.vstack([Xs, Xt]), np.r_[np.zeros(300), np.ones(300)]
    shuffled = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), X, y,
                               cv=StratifiedKFold(5, shuffle=True, random_state=0)).mean()
    assert 2 * (1 - 2 * (1 - shuffled)) > 1.5  # what frame-shuffled folds report
    assert proxy_a_distance(Xs, Xt, gs, gt) < 0.6
    assert proxy_a_distance(Xs, Xt) < 0.6  # contiguous blocks of frames in order keep clips together too
