"""tlbench/methods/zscore.py: constant features found as scikit-learn's StandardScaler finds them."""
import numpy as np
from sklearn.preprocessing import StandardScaler

from tlbench.methods.zscore import constant_features, zscore_scale


def test_a_variance_at_the_rounding_of_the_mean_is_a_constant_feature():
    # 190 copies of 0.1: the std can come out ~1e-17, not 0 (`std > 0` would divide by it); the bound is
    # (n * mean * eps)^2 ~ 1.8e-29 for the variance
    mean = np.array([0.1, 0.1, 0.1, 0.1])
    var = np.array([1e-34, 0.0, 1e-27, 1e-6])
    assert constant_features(var, mean, 190).tolist() == [True, True, False, False]


def test_the_scale_equals_standard_scalers_on_constant_and_varying_features():
    rng = np.random.default_rng(0)
    X = np.column_stack([np.full(50, 0.7), rng.normal(size=50), 1e-3 * rng.normal(size=50), np.zeros(50)])
    scale = zscore_scale(X.var(axis=0), X.mean(axis=0), len(X))
    np.testing.assert_allclose(scale, StandardScaler().fit(X).scale_, rtol=1e-12)
    assert scale[0] == scale[3] == 1.0
