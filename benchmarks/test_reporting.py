"""PCA as the fusion stage uses it, and table rendering."""
import numpy as np

from tests.unit.reporting.anomaly.test_seed import CONTEXT, SCENES, fixture_rows
from tlbench.reporting.anomaly import render


def test_pca_256_of_fused_descriptors(benchmark):
    from sklearn.decomposition import PCA

    X = np.random.default_rng(0).normal(size=(629, 2048 + 1024))  # the paper split: 629 training images
    benchmark.pedantic(lambda: PCA(256, random_state=0).fit(X).transform(X), rounds=3, iterations=1)


def test_render_anomaly_tables(benchmark):
    rows = fixture_rows()
    tables, extra = benchmark(render, rows, SCENES, ["raw", "pca", "tca"], CONTEXT)
    assert len(tables) == 3 and len(extra) == 1
