"""Greedy coreset (k-center) subsampling of a memory bank of normal patches (PatchCore, Roth et al. 2022):
start from one seeded point, then repeatedly add the point farthest from everything chosen so far, so
that the bank covers the normal patches with the smallest largest gap.

The plain way makes one pass over all N candidates per chosen point, O(N d n). Here the candidates are
first grouped into blocks of nearby points (a few k-means steps from evenly spaced rows, no randomness),
each with its centre, its radius and an upper bound on its points' distances to the chosen set, which
only shrink (lazy greedy):
- a block whose bound is below the best cannot hold the next point: its new centres wait;
- the block with the highest bound catches up on its waiting centres, one pass each, skipping the
  centres that the triangle inequality (with a margin for float32 rounding) puts too far away to change
  any of its distances;
- the choice is made once the top block is up to date.
Distances are sum((x - c)^2) per row, whose float32 bits do not depend on how many rows a pass holds
(a matrix-vector product's do: BLAS kernels sum the rows at a block's edge in another order), so the bank
is the plain way's (one block), point for point and in order (ties: the lowest index), for far fewer
passes. `projection_dim` first maps the patches to fewer dimensions by a seeded Gaussian random
projection (Johnson-Lindenstrauss), as PatchCore does, which changes which points are chosen, not the
bank's patches."""
from __future__ import annotations

import math

import numpy as np

from ..errors import TlbenchError

BLOCK_ROWS = 2048  # the blocks' mean size: speed only (reports/MEASUREMENTS.md, greedy coreset)
KMEANS_STEPS = 4   # the blocks only decide how much is skipped, never what is chosen
ROUNDING = 2.0**-24  # float32's unit roundoff: a sum of d squares is within (d + 3) of it, relative


def greedy_coreset(X: np.ndarray, n: int, random_state: int = 0, projection_dim: int | None = None,
                   block_rows: int = BLOCK_ROWS) -> np.ndarray:
    """Indices of `n` distinct rows of X (N x d) chosen by greedy k-center selection, in the order chosen
    (when X has fewer than n distinct rows, the rest are unchosen duplicates)."""
    N = len(X)
    if not 1 <= n <= N:
        raise TlbenchError(f"a coreset of {n} patches from {N}: use 1..{N} (anomaly.beyond.patch_knn.bank_size)")
    rng = np.random.default_rng(random_state)
    Z = _projected(X, projection_dim, rng)
    chosen = np.empty(n, dtype=np.int64)
    chosen[0] = rng.integers(N)
    blocks = _LazyBlocks(Z, _nearby_groups(Z, math.ceil(N / block_rows)))
    for k in range(1, n):
        chosen[k] = blocks.farthest(chosen[:k])
    return chosen


def _projected(X: np.ndarray, projection_dim: int | None, rng: np.random.Generator):
    import torch

    Z = torch.as_tensor(np.asarray(X, dtype=np.float32))
    if projection_dim is not None and projection_dim < Z.shape[1]:
        generator = torch.Generator().manual_seed(int(rng.integers(2**31)))
        Z = Z @ torch.randn(Z.shape[1], projection_dim, generator=generator) / projection_dim**0.5
    return Z


def _nearby_groups(Z, n_groups: int) -> list[np.ndarray]:
    """Row indices (ascending) of `n_groups` groups of nearby rows: k-means steps from evenly spaced rows."""
    import torch

    centres = Z[np.linspace(0, len(Z) - 1, n_groups).astype(np.int64)].clone()
    for _ in range(KMEANS_STEPS):
        labels = torch.cat([((centres * centres).sum(1) - 2 * chunk @ centres.T).argmin(1)
                            for chunk in Z.split(65536)])
        counts = torch.bincount(labels, minlength=n_groups).clamp_min_(1).unsqueeze(1)
        centres = torch.zeros_like(centres).index_add_(0, labels, Z) / counts
    labels = labels.numpy()
    order = np.argsort(labels, kind="stable")
    groups = np.split(order, np.cumsum(np.bincount(labels, minlength=n_groups))[:-1])
    largest = 4 * math.ceil(len(Z) / n_groups)  # a dense mode in one group would make every pass a long one
    return [part for rows in groups if len(rows) for part in np.array_split(rows, math.ceil(len(rows) / largest))]


class _Block:
    """Some candidates (`rows`, ascending), their squared distances to the nearest chosen point as far as
    `applied` chosen points go (-1 once chosen themselves), and the ball that holds them."""

    def __init__(self, Z, rows: np.ndarray):
        import torch

        self.rows, self.Z = rows, Z[rows].contiguous()
        self.nearest = torch.full((len(rows),), float("inf"))
        points = self.Z.double().numpy()
        self.centre = points.mean(0)
        self.radius = float(np.sqrt(((points - self.centre) ** 2).sum(1).max()))
        self.applied = 0

    def first_farthest(self) -> int:
        import torch

        return int(self.rows[int(torch.argmax(self.nearest))])


class _LazyBlocks:
    def __init__(self, Z, groups: list[np.ndarray]):
        self.Z = Z
        self.blocks = [_Block(Z, rows) for rows in groups]
        self.bound = np.full(len(groups), np.inf)  # never below the largest of the block's distances
        self.block_of = np.empty(len(Z), dtype=np.int64)
        self.position = np.empty(len(Z), dtype=np.int64)
        for b, rows in enumerate(groups):
            self.block_of[rows], self.position[rows] = b, np.arange(len(rows))

    def farthest(self, chosen: np.ndarray) -> int:
        """The candidate farthest from all of `chosen` (the lowest index among equals)."""
        while True:
            top = int(np.argmax(self.bound))
            if self.blocks[top].applied == len(chosen):
                break
            self._catch_up(top, chosen)
        tied = np.flatnonzero(self.bound == self.bound[top])
        for b in tied:
            if self.blocks[b].applied < len(chosen):
                self._catch_up(b, chosen)
        return min(self.blocks[b].first_farthest() for b in np.flatnonzero(self.bound == self.bound[top]))

    def _catch_up(self, b: int, chosen: np.ndarray) -> None:
        import torch

        block = self.blocks[b]
        for centre in self._reaching(block, chosen[block.applied:], self.bound[b]):
            distance = (block.Z - self.Z[centre]).square_().sum(1)
            torch.minimum(block.nearest, distance, out=block.nearest)
            if self.block_of[centre] == b:
                block.nearest[self.position[centre]] = -1.0  # never again: once every distance left is 0
        block.applied = len(chosen)                          # (repeated patches) an unchosen one is next
        self.bound[b] = float(block.nearest.max())

    def _reaching(self, block: _Block, centres: np.ndarray, bound: float) -> np.ndarray:
        """The centres that may bring some distance in the block below `bound`: the others are farther
        from the block's ball than that, by more than float32 rounding can take back."""
        points = self.Z[centres].double().numpy()
        gap = np.sqrt(((points - block.centre) ** 2).sum(1)) - block.radius
        shrink = 1 - 4 * (self.Z.shape[1] + 3) * ROUNDING
        return centres[(gap <= 0) | (gap**2 * shrink <= bound)]
