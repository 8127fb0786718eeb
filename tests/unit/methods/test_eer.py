import numpy as np
import pytest

from tlbench.errors import TlbenchError
from tlbench.methods.eer import eer


def brute_force_eer(labels, scores):
    """The FPR = FNR crossing of the piecewise-linear ROC through every distinct threshold."""
    thresholds = np.concatenate([[np.inf], np.unique(scores)[::-1]])
    pts = [((scores[~labels] >= t).mean(), 1 - (scores[labels] >= t).mean()) for t in thresholds]
    for (f0, n0), (f1, n1) in zip(pts, pts[1:]):
        if (n0 - f0) >= 0 >= (n1 - f1):
            if n0 - f0 == n1 - f1:
                return f0
            t = (n0 - f0) / ((n0 - f0) - (n1 - f1))
            return f0 + t * (f1 - f0)
    raise AssertionError("no crossing")


@pytest.mark.parametrize("seed", range(8))
def test_eer_matches_a_brute_force_threshold_sweep(seed):
    rng = np.random.default_rng(seed)
    labels = rng.random(300) < 0.3
    scores = rng.normal(size=300) + labels * rng.uniform(0, 2)
    if seed % 2:
        scores = np.round(scores, 1)  # many ties
    assert eer(labels, scores) == pytest.approx(brute_force_eer(labels, scores), abs=1e-12)


def test_eer_known_values():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1], bool)
    assert eer(labels, np.arange(8.0)) == 0.0  # perfect separation
    assert eer(labels, -np.arange(8.0)) == 1.0
    assert eer(labels, np.zeros(8)) == 0.5  # a degenerate detector scores chance
    assert eer(labels, np.array([0, 1, 2, 5, 3, 6, 7, 8.0])) == pytest.approx(0.25)


def test_eer_refuses_hard_labels_and_one_class():
    labels = np.array([0, 1, 0, 1, 1], bool)
    for hard in (np.array([1, -1, 1, -1, 1.0]), np.array([0, 1, 0, 1, 1]), np.array([True, False, True, True, False])):
        with pytest.raises(TlbenchError, match="hard labels"):
            eer(labels, hard)
    with pytest.raises(TlbenchError, match="only normal frames"):
        eer(np.zeros(5, bool), np.arange(5.0))
    with pytest.raises(TlbenchError, match="NaN"):
        eer(labels, np.array([0.1, np.nan, 0.2, 0.3, 0.4]))


@pytest.mark.parametrize("seed", range(6))
def test_roc_points_are_sklearns_full_roc_to_the_bit(seed):
    """The numpy ROC behind `eer` replaces sklearn's for speed only: the same points, bit for bit
    (ties in every other seed; a float tie pattern sklearn sorts stably)."""
    from sklearn.metrics import roc_curve

    from tlbench.methods.eer import roc_points

    rng = np.random.default_rng(seed)
    labels = rng.random(500) < 0.2
    scores = rng.normal(size=500) + labels
    if seed % 2:
        scores = np.round(scores, 1)
    fpr, tpr = roc_points(labels, scores)
    want_fpr, want_tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    assert np.array_equal(fpr, want_fpr) and np.array_equal(tpr, want_tpr)
