"""fusion_evaluate's held-out split: stratified, seeded, and a named error when a side cannot hold every class."""
import numpy as np
import pytest

from tlbench.errors import TlbenchError
from tlbench.experiments.fusion.evaluate import held_out_split


def test_a_split_too_small_for_every_class_is_a_named_error():
    y = np.repeat(np.arange(6), 3)  # 18 images of 6 classes
    with pytest.raises(TlbenchError, match=r"fusion.test_size 0.25 holds out 5 of 18 images: .* at least 6"):
        held_out_split(y, 0.25, seed=0)
    with pytest.raises(TlbenchError, match="holds out 14 of 18"):
        held_out_split(y, 14, seed=0)


def test_the_split_is_stratified_and_seeded():
    y = np.repeat(np.arange(6), 60)
    train, test = held_out_split(y, 0.25, seed=3)
    assert len(test) == 90 and np.bincount(y[test]).tolist() == [15] * 6
    again, _ = held_out_split(y, 0.25, seed=3)
    assert np.array_equal(train, again) and not np.array_equal(train, held_out_split(y, 0.25, seed=4)[0])
