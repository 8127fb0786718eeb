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


def p_value(p: float) -> str:
    """Two decimals, three below 0.01; "–" for NaN."""
    return "–" if p != p else (f"{p:.3f}" if p < 0.01 else f"{p:.2f}")


def permutation_text(n: int, exact_up_to: int) -> str:
    how = (f"exact, over all {n}! orderings" if n <= exact_up_to else "over 20,000 seeded orderings")
    return f"p: two-sided permutation p-value of τ ({how}; n = {n})."
