"""tlbench/methods/uncertainty.py against slow versions written from each definition: the bootstrap
EER equals the EER of the explicitly resampled frames, the corrected resampled t-test is Nadeau and
Bengio's formula, and the permutation p-values enumerate every ordering."""
import itertools

import numpy as np
import pytest
from scipy.stats import kendalltau, spearmanr, ttest_rel

from tlbench.methods.eer import eer
from tlbench.methods.uncertainty import (
    _weighted_eer,
    bootstrap_eer,
    bootstrap_mean,
    corrected_resampled_t,
    rank_correlation_p,
    resampling_units,
)


def _scene(rng, clips=8, per_clip=30):
    groups = np.repeat(np.arange(clips), per_clip)
    labels = (np.arange(clips * per_clip) % per_clip >= 20) & (groups % 2 == 0)
    scores = rng.normal(size=len(groups)) + 1.5 * labels
    return labels, scores, groups


def test_weighted_eer_is_the_eer_of_the_resampled_frames():
    rng = np.random.default_rng(0)
    labels, scores, groups = _scene(rng)
    scores = np.round(scores, 1)  # ties, which the ROC must keep as one point
    values, inverse = np.unique(-scores, return_inverse=True)
    for _ in range(20):
        counts = np.bincount(rng.integers(0, 8, 8), minlength=8)
        weight = counts[groups]
        pos = np.bincount(inverse, weights=weight * labels, minlength=len(values))
        neg = np.bincount(inverse, weights=weight * ~labels, minlength=len(values))
        resampled = np.repeat(np.arange(len(scores)), weight)
        if labels[resampled].all() or not labels[resampled].any():
            assert np.isnan(_weighted_eer(pos[None], neg[None])[0])
            continue
        assert _weighted_eer(pos[None], neg[None])[0] == pytest.approx(
            eer(labels[resampled], scores[resampled]), abs=1e-12
        )


def test_the_eer_interval_is_seeded_and_holds_the_eer():
    rng = np.random.default_rng(1)
    labels, scores, groups = _scene(rng, clips=12)
    a = bootstrap_eer(labels, scores, groups, 500, 0.95, np.random.default_rng(7))
    assert a == bootstrap_eer(labels, scores, groups, 500, 0.95, np.random.default_rng(7))
    assert a[0] < 100 * eer(labels, scores) < a[1] and a[1] - a[0] > 1
    narrow = bootstrap_eer(labels, scores, groups, 500, 0.5, np.random.default_rng(7))
    assert a[0] <= narrow[0] <= narrow[1] <= a[1]


def test_units_are_clips_or_contiguous_blocks_of_a_single_video():
    assert resampling_units(np.repeat(np.arange(12), 5), 10).tolist() == np.repeat(np.arange(12), 5).tolist()
    one_video = resampling_units(np.zeros(100, int), 10)
    assert one_video.tolist() == np.repeat(np.arange(10), 10).tolist()  # 10 blocks of 10 neighbouring frames
    two = resampling_units(np.repeat([3, 7], 50), 10)
    assert len(np.unique(two)) == 10 and (np.diff(two) >= 0).all()


def test_bootstrap_mean_interval_of_fold_scores():
    rng = np.random.default_rng(2)
    folds = rng.normal(80, 5, size=20)
    low, high = bootstrap_mean(folds, 2000, 0.95, np.random.default_rng(0))
    half = 1.96 * folds.std(ddof=1) / np.sqrt(20)  # the normal approximation it should be close to
    assert low < folds.mean() < high
    assert (high - low) / 2 == pytest.approx(half, rel=0.2)


def test_corrected_resampled_t_is_nadeau_and_bengio_s_statistic():
    rng = np.random.default_rng(3)
    d = rng.normal(1.0, 2.0, size=20)  # per-fold differences of two layers on the same 20 folds
    n_train, n_test = 190, 10
    t, p = corrected_resampled_t(d, n_test / n_train)
    expected = d.mean() / np.sqrt((1 / 20 + n_test / n_train) * d.var(ddof=1))
    assert t == pytest.approx(expected)
    naive = ttest_rel(d + 5, np.full(20, 5.0))
    assert abs(t) < abs(naive.statistic) and p > naive.pvalue  # the overlap of training sets widens it


def test_rank_correlation_p_values_enumerate_every_ordering():
    rng = np.random.default_rng(4)
    for a, b in [
        (rng.normal(size=6), rng.normal(size=6)),
        (np.array([1, 2, 2, 3, 4, 5.0]), np.array([2, 1, 3, 3, 5, 4.0])),
    ]:
        tau, rho = abs(kendalltau(a, b)[0]), abs(spearmanr(a, b)[0])
        perms = [b[list(p)] for p in itertools.permutations(range(6))]
        p_tau = np.mean([abs(kendalltau(a, x)[0]) >= tau - 1e-12 for x in perms])
        p_rho = np.mean([abs(spearmanr(a, x)[0]) >= rho - 1e-12 for x in perms])
        assert rank_correlation_p(a, b) == pytest.approx((p_tau, p_rho))
    assert rank_correlation_p(np.arange(6.), np.arange(6.))[0] == pytest.approx(2 / 720)  # only +-1 reach |tau| = 1
    assert np.isnan(rank_correlation_p(np.ones(5), np.arange(5.))[0])


def test_the_gate_reads_values_and_ignores_their_interval_bounds(tmp_path):
    from types import SimpleNamespace

    from tlbench.io import write_json
    from tlbench.reporting.outputs import is_interval_bound, measure_of, read_metrics

    assert measure_of("anomaly/ped1->ped2/raw/eer/ci_low") == "eer" and is_interval_bound("x/eer/ci_high")
    assert not is_interval_bound("anomaly/ped1->ped2/raw/eer")
    write_json(tmp_path / "reports/metrics/anomaly.json", {"anomaly/ped1->ped2/raw/eer": 20.0,
                                                           "anomaly/ped1->ped2/raw/eer/ci_low": 15.0,
                                                           "anomaly/ped1->ped2/raw/eer/ci_high": 26.0})
    metrics = read_metrics(SimpleNamespace(resolve_path=lambda p: tmp_path / p))
    assert list(metrics) == ["anomaly/ped1->ped2/raw/eer"] and metrics["anomaly/ped1->ped2/raw/eer"].measure == "eer"


def test_ph2_bold_is_the_best_layer_and_those_the_test_does_not_find_worse():
    import pandas as pd

    from tlbench.reporting.ph2 import not_worse_than_best

    rng = np.random.default_rng(5)
    best = rng.normal(0.90, 0.04, size=20)
    wobble = 0.03 * (-1.0) ** np.arange(20)  # -3 is 0.3 points worse on average, by +-3 points per fold
    layers = {-2: best, -3: best - 0.003 + wobble, -4: best - 0.25 + rng.normal(0, 0.02, size=20)}
    folds = pd.DataFrame([{"layer": l, "fold": k, "balanced_accuracy": v[k], "n_train": 190, "n_test": 10}
                          for l, v in layers.items() for k in range(20)])
    assert not_worse_than_best(folds, 0.05) == {-2, -3}
    assert not_worse_than_best(folds, 0.999) == {-2}  # at a lax level every other layer is worse
