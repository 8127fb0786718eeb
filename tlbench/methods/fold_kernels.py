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
- the folds are shared among as many threads as the BLAS may use here (the job's `extract.job_threads`),
  each thread's products on one BLAS thread: a 200 x 200 product gains little from a second BLAS thread
  (1.35x here) while two folds at once gain ~1.9x. OpenBLAS splits a product's output, never its sums,
  over its threads, so every kernel is the same to the bit whatever the thread count (tested). The main
  thread meanwhile makes the next block's moments (a tenth of the work), each fold's products still
  added in block order.
Folds with the same training rows (the unshuffled KFold serves every task) share one kernel. Without
standardization the one (float64) Gram matrix of the layer serves every fold.
"""
from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import TlbenchError
from .zscore import zscore_scale

CANCELLATION = 1e-8  # fold variance below this fraction of the column's mean square: recompute it


class FoldKernels:
    """`kernels[train]`: the (n x n) linear kernel of all rows, z-scored with the rows `train`."""

    def __init__(self, X: np.ndarray, splits, standardize: bool = True, chunk: int = 8192,
                 threads: int | None = None):
        self.standardize = standardize
        folds = {np.asarray(train).tobytes(): (np.asarray(train), np.asarray(test)) for train, test in splits}
        n = X.shape[0]
        self._kernels = {key: np.zeros((n, n)) for key in (folds if standardize else [b"all"])}
        self.threads = threads or blas_threads()  # the folds' SVMs run on as many (cross_validate)
        if not standardize:
            self._accumulate_blocks(X, chunk, None, None)
            return
        workers = min(self.threads, len(folds))
        with contextlib.ExitStack() as stack:
            pool = stack.enter_context(ThreadPoolExecutor(workers)) if workers > 1 else None
            if pool:
                from threadpoolctl import threadpool_limits

                stack.enter_context(threadpool_limits(limits=1, user_api="blas"))
            self._accumulate_blocks(X, chunk, _FoldMembers(folds, n, workers), pool)

    def _accumulate_blocks(self, X: np.ndarray, chunk: int, members, pool) -> None:
        if members is None:
            for block in _blocks(X, chunk):
                self._kernels[b"all"] += block @ block.T
            return
        pending = []
        for stats in _block_stats(X, chunk, members):  # made while the threads multiply the block before it
            for job in pending:  # a fold's products go in block order: the same sums as one thread's
                job.result()
            pending = stats.accumulate(self._kernels, pool)
        for job in pending:
            job.result()

    def __getitem__(self, train) -> np.ndarray:
        return self._kernels[b"all" if not self.standardize else np.asarray(train).tobytes()]


def blas_threads() -> int:
    """The threads the BLAS may use in this process now (inside a job: `extract.job_threads`)."""
    from threadpoolctl import threadpool_info

    counts = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    return max(1, min(counts)) if counts else 1


def _blocks(X: np.ndarray, chunk: int):
    """X's columns in float64 blocks of `chunk`."""
    for start in range(0, X.shape[1], chunk):
        block = np.asarray(X[:, start:start + chunk], dtype=np.float64)
        if not np.isfinite(block).all():
            raise TlbenchError("features contain NaN or inf: re-run extraction (precision fp32) or check the images")
        yield block


def _block_stats(X: np.ndarray, chunk: int, members):
    """Each block's varying columns with their folds' moments (blocks with none are skipped)."""
    for block in _blocks(X, chunk):
        varying = block.max(axis=0) > block.min(axis=0)
        if varying.all():
            yield _BlockStats(block, members)
        elif varying.any():
            yield _BlockStats(np.compress(varying, block, axis=1), members)  # 4x faster than block[:, varying]


class _FoldMembers:
    """The folds in one order: keys, training rows, a (folds x rows) 0/1 matrix of their test rows, and
    the folds' shares among `workers` threads."""

    def __init__(self, folds: dict, n: int, workers: int = 1):
        self.keys = list(folds)
        self.shares = [range(w, len(self.keys), workers) for w in range(workers)]
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
        self.moments = self.fold_moments()

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

    def accumulate(self, kernels: dict, pool: ThreadPoolExecutor | None) -> list:
        """The block's products added to the kernels: done here without a pool, else the threads' futures."""
        shares = self.members.shares
        if pool is None:
            self._accumulate_folds(shares[0], kernels)
            return []
        return [pool.submit(self._accumulate_folds, share, kernels) for share in shares]

    def _accumulate_folds(self, share, kernels: dict) -> None:
        """The block's product for the folds `share` (each fold's kernel is one thread's alone)."""
        means, variances = self.moments
        buffer = np.empty_like(self.centred32)
        for f in share:
            scale = zscore_scale(variances[f], means[f] + self.mean, len(self.members.train[f]))
            np.subtract(self.centred32, means[f].astype(np.float32), out=buffer)
            buffer *= (1.0 / scale).astype(np.float32)
            kernels[self.members.keys[f]] += buffer @ buffer.T
