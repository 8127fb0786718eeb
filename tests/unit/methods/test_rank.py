"""tlbench/methods/rank.py: Kendall's tau and Spearman's rho on hand-counted examples, and their formats."""
import math

import pytest

from tlbench.methods.rank import p_value, permutation_text, rank_correlation, signed


def test_hand_counted_tau_and_rho():
    # pairs (1,2) and (1,3) concordant, (2,3) discordant: tau = (2 - 1) / 3; rank differences 0, 1, 1:
    # rho = 1 - 6 * 2 / (3 * (9 - 1)) = 0.5
    tau, rho = rank_correlation([1, 2, 3], [1, 3, 2])
    assert tau == pytest.approx(1 / 3) and rho == pytest.approx(0.5)
    assert rank_correlation([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx((1.0, 1.0))
    assert rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx((-1.0, -1.0))


def test_a_constant_side_or_a_single_pair_gives_nan_without_a_warning(recwarn):
    for a, b in (([1, 1, 1], [1, 2, 3]), ([1, 2, 3], [5, 5, 5]), ([1], [2])):
        assert all(math.isnan(x) for x in rank_correlation(a, b))
    assert len(recwarn) == 0


def test_formats():
    assert signed(0.25) == "+0.25" and signed(-0.5) == "-0.50" and signed(float("nan")) == "–"
    assert p_value(0.1234) == "0.12" and p_value(0.0042) == "0.004" and p_value(float("nan")) == "–"
    assert "exact, over all 6! orderings" in permutation_text(6, 8)
    assert "20,000 seeded orderings" in permutation_text(12, 8) and "n = 12" in permutation_text(12, 8)
