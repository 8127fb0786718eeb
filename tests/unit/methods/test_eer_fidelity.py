"""Every number means what its label says (issue 11): each test here fails on the behaviour before it."""
import numpy as np
import pytest

from tlbench.methods.eer import eer


def test_eer_accepts_column_scores():
    labels = np.r_[np.zeros(50), np.ones(50)]
    scores = np.r_[np.linspace(0, 1, 50), np.linspace(0.5, 1.5, 50)]
    assert eer(labels, scores[:, None]) == pytest.approx(eer(labels, scores))
