"""tlbench/models/batching.py: seeded mini-batches cover every row once, in the seed's order."""
import numpy as np

from tlbench.models.batching import batches


def test_batches_cover_every_row_once_with_a_short_last_batch():
    out = batches(10, 4, np.random.default_rng(3))
    assert [len(b) for b in out] == [4, 4, 2]
    assert sorted(np.concatenate(out).tolist()) == list(range(10))


def test_the_same_seed_gives_the_same_batches_and_another_seed_another_order():
    same = [b.tolist() for b in batches(50, 8, np.random.default_rng(1))]
    assert same == [b.tolist() for b in batches(50, 8, np.random.default_rng(1))]
    assert same != [b.tolist() for b in batches(50, 8, np.random.default_rng(2))]
