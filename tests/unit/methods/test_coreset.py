"""Greedy coreset selection: the same choices as a brute-force greedy k-center whatever the blocks, and
far-away points first."""
import numpy as np
import pytest

from tlbench.errors import TlbenchError
from tlbench.methods.coreset import greedy_coreset


def brute_force_greedy(X: np.ndarray, n: int, first: int) -> list[int]:
    chosen = [first]
    while len(chosen) < n:
        gap = np.array([min(np.linalg.norm(x - X[c]) for c in chosen) for x in X])
        chosen.append(int(np.argmax(gap)))
    return chosen


def test_greedy_coreset_equals_brute_force_greedy():
    X = np.random.default_rng(0).normal(size=(150, 6))
    first = int(np.random.default_rng(3).integers(150))
    assert greedy_coreset(X, 25, random_state=3).tolist() == brute_force_greedy(X, 25, first)


def test_far_points_are_kept_first():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    outliers = [17, 140, 222]
    X[outliers] += np.array([[40, 0, 0, 0], [0, -40, 0, 0], [0, 0, 40, 40]])
    chosen = greedy_coreset(X, 10, random_state=0)
    assert set(outliers) <= set(chosen[:4].tolist())  # the seeded first point, then the three far ones


def test_projection_is_seeded_and_sizes_are_checked():
    X = np.random.default_rng(2).normal(size=(100, 64))
    a = greedy_coreset(X, 10, random_state=5, projection_dim=8)
    assert a.tolist() == greedy_coreset(X, 10, random_state=5, projection_dim=8).tolist()
    assert len(set(a.tolist())) == 10
    with pytest.raises(TlbenchError, match="bank_size"):
        greedy_coreset(X, 101)


def test_repeated_patches_never_choose_an_index_twice():
    """3 distinct points, 6 to choose: once every remaining distance is 0 the argmax was index 0 again
    ([25, 0, 10, 0, 0, 0]); the bank must hold 6 different patches, the 3 distinct ones first."""
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]]), 10, axis=0)
    chosen = greedy_coreset(X, 6, random_state=0)
    assert len(set(chosen.tolist())) == 6
    assert {tuple(X[i]) for i in chosen[:3]} == {(0.0, 0.0), (5.0, 0.0), (0.0, 5.0)}
    assert sorted(greedy_coreset(X, 30, random_state=0).tolist()) == list(range(30))  # all of them, once each


def _clustered_with_repeats(seed: int, spread: float = 20) -> np.ndarray:
    """Tight clusters far apart (blocks that the triangle inequality can skip), near ties inside them and
    exact repeats (equal distances, where the lowest index must win)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, (12, 5))
    X = centres[rng.integers(12, size=900)] + rng.normal(0, 1, (900, 5))
    X[600:] = X[rng.integers(600, size=300)]
    return X.astype(np.float32)


@pytest.mark.parametrize("block_rows, spread", [(7, 20), (64, 20), (200, 20), (32, 3), (100, 3)])
def test_lazy_blocks_choose_what_one_pass_over_everything_chooses(block_rows, spread):
    """One block of all rows is the plain greedy (every distance updated at every step); any blocking
    must give the same points in the same order, the repeats included, whether the clusters lie far
    apart (most centres skipped) or close (skips decided near the bound)."""
    X = _clustered_with_repeats(4, spread)
    plain = greedy_coreset(X, 700, random_state=1, block_rows=len(X))
    assert greedy_coreset(X, 700, random_state=1, block_rows=block_rows).tolist() == plain.tolist()
    assert len(set(plain.tolist())) == 700


def test_lazy_blocks_equal_brute_force_on_clusters():
    X = _clustered_with_repeats(5)[:600]  # no repeats: no ties for float64 and float32 to break apart
    first = int(np.random.default_rng(2).integers(600))
    assert greedy_coreset(X, 60, random_state=2, block_rows=16).tolist() == brute_force_greedy(X, 60, first)
