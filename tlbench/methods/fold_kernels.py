"""The linear kernels of every cross-validation fold of one layer, from one pass over its features.

Each fold z-scores the features with its own training rows' mean and std, which weighs every
feature differently per fold: the fold kernels are not slices of one Gram matrix and each needs a
sum over all D features. What they can share is the memory traffic, which is what dominated on
200 x 62,720 features (a fold spent ~50 ms in its matmul and ~200 ms in copies, means and stds):
a block of columns is read and converted to float64 once, and every fold's kernel is accumulated
from it while it is in cache. A fold's mean and variance come from the block's column sums minus
its (small) test fold; columns where that subtraction could cancel are recomputed in two passes
over the original values, so that constant features are found exactly. Folds with the same
training rows (the unshuffled KFold serves every task) share one kernel. Without
standardization the one Gram matrix of the layer serves every fold.
"""
from __future__ import annotations

import numpy as np

from ..errors import TlbenchError
from .zscore import zscore_scale

CANCELLATION = 1e-8  # fold variance below this fraction of the column's mean square: recompute it


class FoldKernels:
    """`kernels[train]`: the (n x n) linear kernel of all rows, z-scored with the rows `train`."""

    def __init__(self, X: np.ndarray, splits, standardize: bool = True, chunk: int = 8192):
        self.standardize = standardize
        folds = {np.asarray(train).tobytes(): (np.asarray(train), np.asarray(test)) for train, test in splits}
        n = X.shape[0]
        self._kernels = {key: np.zeros((n, n)) for key in (folds if standardize else [b"all"])}
        for start in range(0, X.shape[1], chunk):
            block = np.asarray(X[:, start:start + chunk], dtype=np.float64)
            if not np.isfinite(block).all():
                raise TlbenchError(
                    "features contain NaN or inf: re-run extraction (precision fp32) or check the images"
                )
            if not standardize:
                self._kernels[b"all"] += block @ block.T
                continue
            _BlockStats(block).accumulate(folds, self._kernels)

    def __getitem__(self, train) -> np.ndarray:
        return self._kernels[b"all" if not self.standardize else np.asarray(train).tobytes()]


class _BlockStats:
    """One block of columns, centred once, with the column sums every fold starts from."""

    def __init__(self, block: np.ndarray):
        self.raw = block
        self.mean = block.mean(axis=0)
        self.centred = block - self.mean
        self.s1 = self.centred.sum(axis=0)
        self.s2 = np.einsum("ij,ij->j", self.centred, self.centred)
        self.buffer = np.empty_like(self.centred)

    def fold_moments(self, train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The training rows' mean (centred coordinates) and variance per column."""
        t = self.centred[test]
        n_train = len(train)
        mean = (self.s1 - t.sum(axis=0)) / n_train
        var = (self.s2 - np.einsum("ij,ij->j", t, t)) / n_train - mean * mean
        risky = np.flatnonzero(var <= CANCELLATION * self.s2 / len(self.raw))
        if len(risky):  # two passes over the original values: a constant column stays exactly constant
            cols = self.raw[np.ix_(train, risky)]
            mean[risky] = cols.mean(axis=0) - self.mean[risky]
            var[risky] = cols.var(axis=0)
        return mean, np.maximum(var, 0.0)

    def accumulate(self, folds: dict, kernels: dict) -> None:
        for key, (train, test) in folds.items():
            mean, var = self.fold_moments(train, test)
            scale = zscore_scale(var, mean + self.mean, len(train))
            np.subtract(self.centred, mean, out=self.buffer)
            self.buffer /= scale
            kernels[key] += self.buffer @ self.buffer.T
