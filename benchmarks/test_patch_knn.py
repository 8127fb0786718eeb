"""Patch kNN on Ped2-sized arrays: 2,550 training frames, 2,010 test frames, 196 cells (14 x 14) of 112
values (Lite0 `blocks.4`), a 10 % bank of normal patches: target under 60 s for fitting and scoring.
The bank here is random; the greedy coreset's cost is measured apart, for a 1 % bank."""
import time

import numpy as np

from tlbench.methods.coreset import greedy_coreset
from tlbench.methods.patch_knn import PatchKNN

TRAIN, TEST, CELLS, DIMS = 2550, 2010, 196, 112


def _arrays():
    rng = np.random.default_rng(0)
    means = rng.normal(0, 1, (CELLS, DIMS)).astype(np.float32)
    train = means + rng.normal(0, 0.3, (TRAIN, CELLS, DIMS)).astype(np.float32)
    test = means + rng.normal(0, 0.3, (TEST, CELLS, DIMS)).astype(np.float32)
    return train, test


def test_position_free_patch_knn_with_a_10_percent_bank(benchmark):
    train, test = _arrays()

    def fit_and_score():
        return PatchKNN(position="free", bank="random", bank_size=0.1).fit(train).score(test)

    scores = benchmark.pedantic(fit_and_score, rounds=1, iterations=1)
    seconds = benchmark.stats.stats.median
    benchmark.extra_info["seconds"] = round(seconds, 1)
    print(f"patch kNN, position-free, 10 % random bank ({TRAIN * CELLS // 10} patches): {seconds:.1f} s")
    assert scores.shape == (TEST,) and seconds < 60


def test_position_aware_patch_knn(benchmark):
    train, test = _arrays()
    benchmark.pedantic(lambda: PatchKNN(position="aware").fit(train).score(test), rounds=1, iterations=1)
    benchmark.extra_info["seconds"] = round(benchmark.stats.stats.median, 1)
    print(f"patch kNN, position-aware (every training frame per cell): {benchmark.stats.stats.median:.1f} s")


def test_greedy_coreset_of_1_percent(benchmark):
    patches = _arrays()[0].reshape(-1, DIMS)
    n = len(patches) // 100
    start = time.perf_counter()
    benchmark.pedantic(greedy_coreset, args=(patches, n, 0, 32), rounds=1, iterations=1)
    benchmark.extra_info["seconds"] = round(time.perf_counter() - start, 1)
    print(f"greedy coreset, {n} of {len(patches)} patches (projected to 32 dims): {time.perf_counter() - start:.1f} s")
