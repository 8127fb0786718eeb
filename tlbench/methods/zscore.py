"""Z-scoring features with a training set's statistics, constant features included."""
from __future__ import annotations

import numpy as np


def constant_features(var: np.ndarray, mean: np.ndarray, n: int) -> np.ndarray:
    """Features that are constant over `n` rows, up to the rounding of their mean: scikit-learn's
    StandardScaler rule. A plain `std > 0` is not enough: the mean of 190 copies of 0.1 is not
    exactly 0.1, its std comes out ~1e-17, and dividing by it blows a test image up to ~1e16."""
    eps = np.finfo(np.float64).eps
    return var <= n * eps * var + (n * mean * eps) ** 2


def zscore_scale(var: np.ndarray, mean: np.ndarray, n: int) -> np.ndarray:
    """The std to divide by: 1 for constant features (as StandardScaler), so they stay constant."""
    return np.where(constant_features(var, mean, n), 1.0, np.sqrt(var))
