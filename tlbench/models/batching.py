"""Seeded mini-batches of row indices for the small training loops of the recipes."""
from __future__ import annotations

import numpy as np


def batches(n: int, batch: int, rng: np.random.Generator):
    order = rng.permutation(n)
    return [order[i:i + batch] for i in range(0, n, batch)]
