"""Uncertainty of the headline numbers: seeded bootstrap intervals over the units that were sampled
(test clips, CV folds, held-out splits), the corrected resampled t-test for layers compared on the same
CV folds (Nadeau and Bengio 2003), and exact permutation p-values of rank correlations.

Every interval is a percentile bootstrap (Efron and Tibshirani 1993): `resamples` draws of the units
with replacement, the statistic on each draw, and its (1 - level) / 2 and (1 + level) / 2 quantiles."""
from __future__ import annotations

import itertools
import math
import zlib

import numpy as np

from ..errors import TlbenchError


def seed_for(seed: int, *names: str) -> np.random.Generator:
    """A generator per (run seed, what is resampled): stable when other cells are added."""
    return np.random.default_rng([seed, zlib.crc32("/".join(names).encode())])


def resampling_units(groups: np.ndarray, min_units: int) -> np.ndarray:
    """A unit id per frame: its clip when there are at least `min_units` clips; else every clip is cut
    into contiguous blocks so that there are about `min_units` units in all (a scene recorded as one
    video, as York's are, has one clip). Neighbouring frames stay in one unit either way: they are not
    independent samples."""
    groups = np.asarray(groups)
    clips, inverse = np.unique(groups, return_inverse=True)
    if len(clips) >= min_units:
        return inverse
    units, next_id = np.empty(len(groups), np.int64), 0
    blocks_per_clip = math.ceil(min_units / len(clips))
    for c in range(len(clips)):
        idx = np.flatnonzero(inverse == c)
        blocks = min(blocks_per_clip, len(idx))
        units[idx] = next_id + np.arange(len(idx)) * blocks // len(idx)
        next_id += blocks
    return units


def _weighted_eer(order_pos: np.ndarray, order_neg: np.ndarray) -> np.ndarray:
    """EER per row from (draws, thresholds) counts of anomalous and normal frames per distinct score, scores
    descending: the ROC through every distinct threshold, interpolated where FNR - FPR changes sign, as
    `tlbench.methods.eer.eer` does. NaN where a draw has no anomalous or no normal frame."""
    tp, fp = np.cumsum(order_pos, axis=1), np.cumsum(order_neg, axis=1)
    P, N = tp[:, -1:], fp[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = np.hstack([np.zeros_like(P, dtype=float), tp / P])
        fpr = np.hstack([np.zeros_like(N, dtype=float), fp / N])
    diff = (1 - tpr) - fpr  # from 1 down to -1
    i = np.argmax(diff <= 0, axis=1)
    rows = np.arange(len(diff))
    d1, d0 = diff[rows, i], diff[rows, np.maximum(i - 1, 0)]
    f1, f0 = fpr[rows, i], fpr[rows, np.maximum(i - 1, 0)]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(d1 == 0, 0.0, d0 / (d0 - d1))
        out = np.where(d1 == 0, f1, f0 + t * (f1 - f0))
    out[(P[:, 0] == 0) | (N[:, 0] == 0)] = np.nan
    return out


def bootstrap_eer(labels: np.ndarray, scores: np.ndarray, groups: np.ndarray, resamples: int, level: float,
                  rng: np.random.Generator, min_units: int = 10) -> tuple[float, float]:
    """Percentile interval (in %) of the frame-level EER over draws of whole units (`resampling_units`)
    with replacement; draws without an anomalous or without a normal frame are drawn again."""
    labels, scores = np.asarray(labels).astype(bool), np.asarray(scores, np.float64)
    units = resampling_units(groups, min_units)
    n_units = int(units.max()) + 1
    values, inverse = np.unique(-scores, return_inverse=True)  # distinct scores, descending
    pos = np.zeros((n_units, len(values)))
    neg = np.zeros((n_units, len(values)))
    np.add.at(pos, (units[labels], inverse[labels]), 1)
    np.add.at(neg, (units[~labels], inverse[~labels]), 1)
    eers = []
    for _ in range(20):  # a few rounds at most: draws lacking a class are rare unless the units are few
        counts = np.stack([np.bincount(rng.integers(0, n_units, n_units), minlength=n_units)
                           for _ in range(resamples)])
        draw = _weighted_eer(counts @ pos, counts @ neg)
        eers += [e for e in draw if e == e]
        if len(eers) >= resamples:
            break
    if len(eers) < resamples:
        raise TlbenchError(f"EER interval: fewer than {resamples} of the draws of {n_units} units have both normal "
                           f"and anomalous frames; use more test clips")
    low, high = np.quantile(np.array(eers[:resamples]) * 100, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def bootstrap_mean(values: np.ndarray, resamples: int, level: float, rng: np.random.Generator) -> tuple[float, float]:
    """Percentile interval of the mean of `values` (one per fold or split) over draws with replacement."""
    values = np.asarray(values, np.float64)
    if len(values) < 2:
        return float(values.mean()), float(values.mean())
    means = values[rng.integers(0, len(values), (resamples, len(values)))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def corrected_resampled_t(differences: np.ndarray, test_over_train: float) -> tuple[float, float]:
    """(t, two-sided p) of the corrected resampled t-test (Nadeau and Bengio 2003) for the mean of the
    per-fold differences between two models scored on the same J folds: the variance is inflated from
    1/J to 1/J + n_test/n_train, because the folds' training sets overlap. For k-fold CV
    n_test/n_train = 1/(k - 1). t has J - 1 degrees of freedom."""
    from scipy.stats import t as student

    d = np.asarray(differences, np.float64)
    J = len(d)
    if J < 2:
        raise TlbenchError("the corrected resampled t-test needs at least 2 folds")
    var = d.var(ddof=1)
    if var == 0:
        return (0.0, 1.0) if d.mean() == 0 else (math.copysign(math.inf, d.mean()), 0.0)
    t = float(d.mean() / math.sqrt((1 / J + test_over_train) * var))
    return t, float(2 * student.sf(abs(t), J - 1))


EXACT_UP_TO = 9  # 9! = 362,880 orderings; more are sampled


def _orderings(n: int, rng: np.random.Generator, samples: int) -> tuple[np.ndarray, bool]:
    if n <= EXACT_UP_TO:
        return np.array(list(itertools.permutations(range(n)))), True
    return np.array([rng.permutation(n) for _ in range(samples)]), False


def _tau_rho(a: np.ndarray, orderings_of_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kendall's tau-b and Spearman's rho (average ranks for ties) of `a` against each row."""
    from scipy.stats import rankdata

    n = len(a)
    i, j = np.triu_indices(n, 1)
    sa, sb = np.sign(a[i] - a[j]), np.sign(orderings_of_b[:, i] - orderings_of_b[:, j])
    tau = sb @ sa / np.sqrt(float(sa @ sa) * (sb * sb).sum(axis=1))  # tau-b: tied pairs count in neither norm
    ra = rankdata(a) - (n + 1) / 2
    rb = rankdata(orderings_of_b, axis=1) - (n + 1) / 2
    return tau, rb @ ra / np.sqrt(float(ra @ ra) * (rb * rb).sum(axis=1))


def rank_correlation_p(a, b, rng: np.random.Generator | None = None, samples: int = 20_000) -> tuple[float, float]:
    """Two-sided permutation p-values (Kendall's tau-b, Spearman's rho) of two paired sequences: the share
    of orderings of `b` whose |tau| (|rho|) is at least the observed one, over all n! orderings when
    n <= EXACT_UP_TO (exact), else over `samples` seeded ones with the observed one counted. NaN when a
    side is constant."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan"), float("nan")
    orders, exact = _orderings(len(a), rng or np.random.default_rng(0), samples)
    taus, rhos = _tau_rho(a, b[orders])
    tau0, rho0 = (float(x[0]) for x in _tau_rho(a, b[None, :]))
    out = []
    for values, observed in ((taus, tau0), (rhos, rho0)):
        hits = int((np.abs(values) >= abs(observed) - 1e-12).sum())
        out.append(hits / len(values) if exact else (hits + 1) / (len(values) + 1))
    return float(out[0]), float(out[1])
