"""The linear kernels of every cross-validation fold of one layer, from one pass over its features.

Each fold z-scores the features with its own training rows' mean and std, which weighs every
feature differently per fold: the fold kernels are not slices of one Gram matrix and each needs a
sum over all D features (40 folds x 1 M features x 200^2: ~1.6 TFLOP in the symmetric
product, which is the whole cost). So the product is what is made cheap:
- it runs in float32 (2.2x the float64 rate of the same BLAS) on values z-scored in float64, block
  by block of `chunk` columns, each block's product added to a float64 kernel: the kernels agree with
  float64 ones to ~1e-7 relative, far below what moves a linear SVM's support vectors;
- columns constant over every row are left out: they z-score to 0 in every fold (StandardScaler's rule);
- the folds' means and variances come from one product of a (folds x rows) test-membership matrix
  with the block and its squares, not one gather per fold. Columns where the subtraction from the
  block's sums could cancel are recomputed in two passes over the original values, so that features
  constant on a fold's training rows are found exactly.
Folds with the same training rows (the unshuffled KFold serves every task) share one kernel. Without
standardization the one (float64) Gram matrix of the layer serves every fold.
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
        members = _FoldMembers(folds, n) if standardize else None
        for start in range(0, X.shape[1], chunk):
            block = np.asarray(X[:, start:start + chunk], dtype=np.float64)
            if not np.isfinite(block).all():
                raise TlbenchError(
                    "features contain NaN or inf: re-run extraction (precision fp32) or check the images"
                )
            if not standardize:
                self._kernels[b"all"] += block @ block.T
                continue
            varying = block.max(axis=0) > block.min(axis=0)
            if varying.any():
                _BlockStats(block[:, varying], members).accumulate(self._kernels)

    def __getitem__(self, train) -> np.ndarray:
        return self._kernels[b"all" if not self.standardize else np.asarray(train).tobytes()]


class _FoldMembers:
    """The folds in one order: keys, training rows, and a (folds x rows) 0/1 matrix of their test rows."""

    def __init__(self, folds: dict, n: int):
        self.keys = list(folds)
        self.train = [folds[k][0] for k in self.keys]
        self.test = np.zeros((len(self.keys), n))
        for f, key in enumerate(self.keys):
            self.test[f, folds[key][1]] = 1.0
        self.n_train = np.array([len(t) for t in self.train], dtype=np.float64)[:, None]


class _BlockStats:
    """One block of columns, centred once, with the column sums every fold starts from."""

    def __init__(self, block: np.ndarray, members: _FoldMembers):
        self.raw, self.members = block, members
        self.mean = block.mean(axis=0)
        self.centred = block - self.mean
        self.centred32 = self.centred.astype(np.float32)
        self.s2 = np.einsum("ij,ij->j", self.centred, self.centred)
        self.buffer = np.empty_like(self.centred32)

    def fold_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(folds x columns): each fold's training mean (centred coordinates) and variance."""
        m = self.members
        mean = (self.centred.sum(axis=0) - m.test @ self.centred) / m.n_train
        var = (self.s2 - m.test @ (self.centred * self.centred)) / m.n_train - mean * mean
        risky = var <= CANCELLATION * self.s2 / len(self.raw)
        for f in np.flatnonzero(risky.any(axis=1)):  # two passes: a constant column stays exactly constant
            cols = np.flatnonzero(risky[f])
            values = self.raw[np.ix_(m.train[f], cols)]
            mean[f, cols] = values.mean(axis=0) - self.mean[cols]
            var[f, cols] = values.var(axis=0)
        return mean, np.maximum(var, 0.0)

    def accumulate(self, kernels: dict) -> None:
        means, variances = self.fold_moments()
        for f, key in enumerate(self.members.keys):
            scale = zscore_scale(variances[f], means[f] + self.mean, len(self.members.train[f]))
            np.subtract(self.centred32, means[f].astype(np.float32), out=self.buffer)
            self.buffer *= (1.0 / scale).astype(np.float32)
            kernels[key] += self.buffer @ self.buffer.T
