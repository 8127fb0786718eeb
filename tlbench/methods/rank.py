"""Rank correlations between a transferability measure and the results it should predict."""
from __future__ import annotations

import numpy as np


def rank_correlation(a, b) -> tuple[float, float]:
    """(Kendall tau, Spearman rho); NaN, without a warning, when either side is constant."""
    from scipy.stats import kendalltau, spearmanr

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan"), float("nan")
    return float(kendalltau(a, b)[0]), float(spearmanr(a, b)[0])


def signed(x: float) -> str:
    return "–" if x != x else f"{x:+.2f}"
