"""Smoothing within clips (mean, Gaussian, median) and the fusion of standardised detector scores."""
import numpy as np
import pytest

from tlbench.errors import TlbenchError
from tlbench.methods.smoothing import fuse_scores, smooth_scores, standardiser


def test_smoothing_stays_within_clips():
    scores = np.array([0, 0, 10, 0, 0, 100, 100, 100], dtype=float)
    groups = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    for kind in ("mean", "gaussian", "median"):
        out = smooth_scores(scores, groups, 3, kind)
        assert out[5:] == pytest.approx([100] * 3) and (out[:5] < 99).all(), kind  # clip 1 never leaks into clip 0


def test_median_removes_a_single_frame_spike_and_gaussian_weighs_the_centre():
    scores = np.array([1, 1, 1, 50, 1, 1, 1], dtype=float)
    groups = np.zeros(7, int)
    assert (smooth_scores(scores, groups, 3, "median") == 1).all()
    mean, gauss = smooth_scores(scores, groups, 5, "mean"), smooth_scores(scores, groups, 5, "gaussian")
    assert mean[3] == pytest.approx((50 + 4) / 5)
    assert gauss[3] > mean[3] and gauss[1] < mean[1]  # more weight at the centre, less at the edge
    with pytest.raises(TlbenchError, match="unknown"):
        smooth_scores(scores, groups, 3, "box")


def test_fusion_standardises_with_held_out_normal_scores_only():
    rng = np.random.default_rng(0)
    appearance_normal, motion_normal = rng.normal(100, 10, 200), rng.normal(0.0, 0.01, 200)
    # a test frame anomalous in motion only: 5 held-out stds up in motion, typical in appearance
    scores = {"appearance": np.array([100.0, 100.0]), "motion": np.array([0.0, 0.05])}
    fused = fuse_scores(scores, {"appearance": appearance_normal, "motion": motion_normal})
    assert fused[1] - fused[0] == pytest.approx(0.05 / motion_normal.std(ddof=1), rel=1e-9)
    assert standardiser(np.ones(5)) == (1.0, 1.0)  # constant held-out scores: no division by zero
    with pytest.raises(TlbenchError, match="held-out"):
        fuse_scores(scores, {"appearance": appearance_normal})


def test_an_even_window_is_refused_instead_of_running_off_centre():
    with pytest.raises(TlbenchError, match="window of 4 frames has no middle frame"):
        smooth_scores(np.arange(10.0), np.zeros(10, int), 4)
