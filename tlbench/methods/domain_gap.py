"""Domain-gap measures between source and target training frames (no target labels), registered in
MEASURES with kind "domain": computed for every anomaly pair and space beside its EER, to see whether
a cheap measure on features alone predicts how well a detector transfers."""
from __future__ import annotations

import numpy as np

from .registry import MEASURES

BLOCK = 2048  # rows per block of kernel sums: memory stays at BLOCK x n


def _kernel_sum(A: np.ndarray, B: np.ndarray, gamma: float, same: bool) -> float:
    """sum_ij exp(-gamma |a_i - b_j|^2), without the diagonal when A is B."""
    a2, b2, total = (A * A).sum(1), (B * B).sum(1), 0.0
    for start in range(0, len(A), BLOCK):
        block = slice(start, start + BLOCK)
        d2 = np.maximum(a2[block, None] + b2[None, :] - 2 * A[block] @ B.T, 0)
        total += float(np.exp(-gamma * d2).sum())
    return total - (len(A) if same else 0.0)  # exp(0) = 1 on the diagonal


def median_heuristic(Xs: np.ndarray, Xt: np.ndarray, n: int = 1000, seed: int = 0) -> float:
    """gamma = 1 / median squared distance between points of both domains (a seeded subsample)."""
    rng = np.random.default_rng(seed)
    Z = np.vstack([Xs, Xt])
    Z = Z[rng.choice(len(Z), min(n, len(Z)), replace=False)]
    z2 = (Z * Z).sum(1)
    d2 = np.maximum(z2[:, None] + z2[None, :] - 2 * Z @ Z.T, 0)[np.triu_indices(len(Z), 1)]
    median = float(np.median(d2))
    return 1.0 / median if median > 0 else 1.0


def mmd2_rbf(Xs: np.ndarray, Xt: np.ndarray, gamma: float | None = None) -> float:
    """Unbiased MMD^2 (Gretton et al. 2012) with k(x, y) = exp(-gamma |x - y|^2), median-heuristic gamma."""
    Xs, Xt = np.asarray(Xs, np.float64), np.asarray(Xt, np.float64)
    gamma = median_heuristic(Xs, Xt) if gamma is None else gamma
    m, n = len(Xs), len(Xt)
    return (_kernel_sum(Xs, Xs, gamma, True) / (m * (m - 1)) + _kernel_sum(Xt, Xt, gamma, True) / (n * (n - 1))
            - 2 * _kernel_sum(Xs, Xt, gamma, False) / (m * n))


def mmd2_linear(Xs: np.ndarray, Xt: np.ndarray) -> float:
    """Unbiased MMD^2 with k(x, y) = x'y, in O((m + n) d): sums of the Gram matrices without forming them."""
    Xs, Xt = np.asarray(Xs, np.float64), np.asarray(Xt, np.float64)
    m, n = len(Xs), len(Xt)
    ss, st = Xs.sum(0), Xt.sum(0)
    kss = (ss @ ss - (Xs * Xs).sum()) / (m * (m - 1))
    ktt = (st @ st - (Xt * Xt).sum()) / (n * (n - 1))
    return float(kss + ktt - 2 * (ss @ st) / (m * n))


def _balanced(X: np.ndarray, groups: np.ndarray | None, n: int, rng) -> tuple[np.ndarray, np.ndarray | None]:
    """n of X's frames, in their order (a seeded draw when X has more)."""
    if len(X) <= n:
        return X, groups
    keep = np.sort(rng.choice(len(X), n, replace=False))
    return X[keep], None if groups is None else np.asarray(groups)[keep]


def _fold_of(n: int, groups: np.ndarray | None, folds: int) -> np.ndarray:
    """A CV fold per frame that keeps neighbouring frames together: whole clips (`groups`) when there
    are at least `folds` of them, else `folds` contiguous blocks of the frames in their order."""
    if groups is not None and len(np.unique(groups)) >= folds:
        from sklearn.model_selection import GroupKFold

        fold = np.empty(n, dtype=np.int64)
        for k, (_, test) in enumerate(GroupKFold(folds).split(np.zeros(n), groups=groups)):
            fold[test] = k
        return fold
    return np.arange(n) * folds // n


def proxy_a_distance(Xs: np.ndarray, Xt: np.ndarray, groups_s: np.ndarray | None = None,
                     groups_t: np.ndarray | None = None, folds: int = 5, seed: int = 0) -> float:
    """PAD = 2 (1 - 2 err) (Ben-David et al. 2007): err is the CV error of a linear classifier telling
    source from target frames, at most 1/2; 0 for indistinguishable domains, 2 for separable ones.

    Both domains are first cut to the same number of frames (seeded), so that err is a balanced error
    (300 vs 2,000 frames of one distribution gave PAD 1.48: "always target" is 87 % accurate), and a
    fold holds whole clips (`groups_*`) or contiguous blocks of frames: with shuffled frames a
    neighbour of every test frame is in the training folds, and the classifier recognises clips."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed)
    n = min(len(Xs), len(Xt))
    (Xs, groups_s), (Xt, groups_t) = _balanced(Xs, groups_s, n, rng), _balanced(Xt, groups_t, n, rng)
    X, y = np.vstack([Xs, Xt]), np.r_[np.zeros(n), np.ones(n)]
    fold = np.r_[_fold_of(n, groups_s, folds), _fold_of(n, groups_t, folds)]
    correct = 0
    for k in range(folds):
        test = fold == k
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=500)).fit(X[~test], y[~test])
        correct += int((clf.predict(X[test]) == y[test]).sum())
    accuracy = correct / len(y)
    # a classifier worse than chance is no evidence of separable domains (identical frames in both
    # domains, as in-domain pairs have, even make it systematically wrong): err is capped at 1/2
    return float(2 * (1 - 2 * min(1 - accuracy, 0.5)))


def coral_distance(Xs: np.ndarray, Xt: np.ndarray) -> float:
    """||C_s - C_t||_F^2 / (4 d^2), the CORAL loss of Sun and Saenko (2016), C the sample covariances."""
    Xs, Xt = np.asarray(Xs, np.float64), np.asarray(Xt, np.float64)
    d = Xs.shape[1]
    diff = np.cov(Xs, rowvar=False) - np.cov(Xt, rowvar=False)
    return float((diff * diff).sum() / (4 * d * d))


def _frames_only(measure):
    """A measure of the frames alone (their clips do not matter to it), with the domain-measure signature."""
    return lambda Xs, Xt, groups_s=None, groups_t=None: measure(Xs, Xt)


MEASURES.implement("mmd2_linear", _frames_only(mmd2_linear))
MEASURES.implement("mmd2_rbf", _frames_only(mmd2_rbf))
MEASURES.implement("pad", proxy_a_distance)
MEASURES.implement("coral", _frames_only(coral_distance))
