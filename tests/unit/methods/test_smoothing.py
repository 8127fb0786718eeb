import numpy as np

from tlbench.methods.smoothing import smooth_scores


def test_smoothing_stays_within_clips():
    scores = np.array([0, 0, 9, 0, 0, 1, 1, 1.0])
    groups = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    out = smooth_scores(scores, groups, 3)
    np.testing.assert_allclose(out[:5], [0, 3, 3, 3, 0])
    np.testing.assert_allclose(out[5:], [1, 1, 1])
    assert smooth_scores(scores, groups, 1) is scores
