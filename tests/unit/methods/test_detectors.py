import numpy as np
import pytest

from tlbench.methods.detectors import Detector


@pytest.mark.parametrize("kind", ["ocsvm", "iforest", "mahalanobis"])
def test_detectors_score_outliers_higher(kind):
    rng = np.random.default_rng(0)
    train = rng.normal(size=(200, 5))
    det = Detector(kind, random_state=0).fit(train)
    inliers, outliers = det.score(rng.normal(size=(50, 5))), det.score(rng.normal(size=(50, 5)) + 4)
    assert np.median(outliers) > np.percentile(inliers, 90)


def test_ocsvm_log_domain_scores_rank_like_the_decision_function():
    rng = np.random.default_rng(2)
    det = Detector("ocsvm", nu=0.1).fit(rng.normal(size=(150, 6)))
    near = rng.normal(size=(80, 6)) * 1.5
    np.testing.assert_array_equal(np.argsort(det.score(near)), np.argsort(-det.model_.svm_.decision_function(near)))
    far = near + 40  # the decision function underflows to one value here; the log-domain score does not
    assert len(np.unique(det.model_.svm_.decision_function(far))) == 1
    assert len(np.unique(det.score(far))) == 80
