"""Greedy coreset (k-center) subsampling of a memory bank of normal patches (PatchCore, Roth et al. 2022):
start from one seeded point, then repeatedly add the point farthest from everything chosen so far, so
that the bank covers the normal patches with the smallest largest gap.

Each step is one pass over the candidates (an (N x d) matrix-vector product against the new centre,
in torch), so the cost is O(N d n) for n chosen points; `projection_dim` first maps the patches to
fewer dimensions by a seeded Gaussian random projection (Johnson-Lindenstrauss), as PatchCore does,
which changes which points are chosen, not the bank's patches."""
from __future__ import annotations

import numpy as np

from ..errors import TlbenchError


def greedy_coreset(X: np.ndarray, n: int, random_state: int = 0, projection_dim: int | None = None) -> np.ndarray:
    """Indices of `n` distinct rows of X (N x d) chosen by greedy k-center selection, in the order chosen
    (when X has fewer than n distinct rows, the rest are unchosen duplicates)."""
    import torch

    N = len(X)
    if not 1 <= n <= N:
        raise TlbenchError(f"a coreset of {n} patches from {N}: use 1..{N} (anomaly.beyond.patch_knn.bank_size)")
    rng = np.random.default_rng(random_state)
    Z = torch.as_tensor(np.asarray(X, dtype=np.float32))
    if projection_dim is not None and projection_dim < Z.shape[1]:
        generator = torch.Generator().manual_seed(int(rng.integers(2**31)))
        Z = Z @ torch.randn(Z.shape[1], projection_dim, generator=generator) / projection_dim**0.5
    squared = (Z * Z).sum(1)
    chosen = np.empty(n, dtype=np.int64)
    chosen[0] = rng.integers(N)
    nearest = torch.full((N,), float("inf"))
    for k in range(1, n + 1):
        centre = Z[chosen[k - 1]]
        distance = (squared - 2 * (Z @ centre) + squared[chosen[k - 1]]).clamp_min_(0)
        torch.minimum(nearest, distance, out=nearest)
        nearest[chosen[k - 1]] = -1.0  # never again: once every distance left is 0 (repeated patches), argmax
        if k < n:                      # would return a chosen index; this picks an unchosen duplicate instead
            chosen[k] = int(torch.argmax(nearest))
    return chosen
