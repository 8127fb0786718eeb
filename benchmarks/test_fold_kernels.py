"""ph2_evaluate's cost is the fold kernels: each of 60 folds (paper KFold shared by both tasks, stratified
per task) z-scores every feature with its own training rows, so each needs its own n x n product over all D
features. Ratio in one run against the straightforward way (a StandardScaler per fold, then the float64
product), on a ResNet50-map-sized layer of 200 x 100,352 features, a fifth of them dead ReLU units.
Measured here (2 cores, OpenBLAS Haswell kernels): see reports/MEASUREMENTS.md."""
import time

import numpy as np
import pytest
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler

N, D = 200, 100_352


@pytest.fixture(scope="module")
def layer():
    rng = np.random.default_rng(0)
    X = np.maximum(rng.normal(size=(N, D)).astype(np.float32), 0)
    X[:, : D // 5] = 0  # dead units: constant on every row
    y = np.repeat([0, 1, 2], [80, 80, 40])
    splits = list(KFold(20).split(X))
    splits += list(StratifiedKFold(20, shuffle=True, random_state=0).split(X, y))
    splits += list(StratifiedKFold(20, shuffle=True, random_state=0).split(X, y == 2))
    return X, splits


def _per_fold_float64(X, splits) -> list[np.ndarray]:
    out = []
    for train, _ in splits:
        Z = StandardScaler().fit(X[train].astype(np.float64)).transform(X.astype(np.float64))
        out.append(Z @ Z.T)
    return out


def test_fold_kernels_are_3x_the_per_fold_float64_products(benchmark, layer):
    from tlbench.methods.fold_kernels import FoldKernels

    X, splits = layer
    start = time.perf_counter()
    reference = _per_fold_float64(X, splits[:6])  # 6 of the 60 folds, scaled up: the same work per fold
    straightforward = (time.perf_counter() - start) * len(splits) / 6
    kernels = benchmark.pedantic(FoldKernels, args=(X, splits), rounds=1, iterations=1)
    ratio = straightforward / benchmark.stats.stats.median
    print(f"\nfold kernels, 60 folds x {N} x {D:,}: {benchmark.stats.stats.median:.1f} s, "
          f"{ratio:.1f}x the per-fold float64 way ({straightforward:.1f} s)")
    for (train, _), K in zip(splits, reference):
        np.testing.assert_allclose(kernels[train], K, rtol=0, atol=1e-6 * np.abs(K).max())
    assert ratio >= 3.0
