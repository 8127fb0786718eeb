"""tlbench/methods/pca.py: the full-SVD PCA gives the same components on every fit, where scikit-learn's
`auto` solver would pick the randomized one (inputs over 500 x 500, fewer than 80 % of the components)."""
import numpy as np

from tlbench.methods.pca import exact_pca


def test_exact_pca_is_deterministic_on_inputs_that_auto_would_randomize():
    X = np.random.default_rng(0).normal(size=(600, 700))
    first, second = exact_pca(20).fit(X), exact_pca(20).fit(X)
    assert first.svd_solver == "full" and first._fit_svd_solver == "full"
    np.testing.assert_array_equal(first.components_, second.components_)
    # the components are the top right singular vectors of the centred data
    _, s, vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(np.abs(first.components_), np.abs(vt[:20]), atol=1e-10)
    np.testing.assert_allclose(first.explained_variance_, s[:20] ** 2 / (len(X) - 1), rtol=1e-10)
