import numpy as np
import pytest

from tlbench.errors import TlbenchError
from tlbench.methods.cdfg import complete_generalization, partial_generalization
from tlbench.methods.eer import eer
from tlbench.methods.smoothing import smooth_scores


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


def test_smoothing_stays_within_clips():
    scores = np.array([0, 0, 9, 0, 0, 1, 1, 1.0])
    groups = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    out = smooth_scores(scores, groups, 3)
    np.testing.assert_allclose(out[:5], [0, 3, 3, 3, 0])
    np.testing.assert_allclose(out[5:], [1, 1, 1])
    assert smooth_scores(scores, groups, 1) is scores


def test_cdfg_definitions_on_the_seeds_cells():
    # seed Table 1, Cross-feature: Ped2->Ped2 26.26, Ped2->Ped1 51.46, Ped1->Ped1 51.4, Ped1->Ped2 26.25
    risk = {("ped2", "ped2"): 26.26, ("ped2", "ped1"): 51.46, ("ped1", "ped1"): 51.4, ("ped1", "ped2"): 26.25}
    assert partial_generalization(risk, "ped2", "ped1") == pytest.approx(25.2)  # seed Table 2
    assert partial_generalization(risk, "ped1", "ped2") == pytest.approx(25.15)
    assert complete_generalization(risk, "ped1", "ped2") == pytest.approx(25.175)  # seed Table 3: 25.2
