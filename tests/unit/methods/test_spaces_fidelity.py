"""Every number means what its label says (issue 11): each test here fails on the behaviour before it."""
import numpy as np

from tlbench.methods.spaces import Space


def domains(seed=0, n=(60, 50), d=8):
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(n[0], d)) * np.linspace(0.5, 2, d)
    Xt = rng.normal(size=(n[1], d)) * np.linspace(2, 0.5, d) + 0.7
    return Xs, Xt


def test_tca_space_standardises_with_all_source_frames_and_seeds_by_name():
    Xs, Xt = domains(3, n=(300, 300))
    space = Space("tca", n_components=3, tca={"n_components": 3}, seed=0, max_samples_per_domain=50).fit(Xs, Xt)
    np.testing.assert_allclose(space.scaler_.mean_, Xs.mean(axis=0))  # like raw and PCA: all source frames
    again = Space("tca", n_components=3, tca={"n_components": 3}, seed=0, max_samples_per_domain=50).fit(Xs, Xt)
    np.testing.assert_array_equal(space.transform(Xt), again.transform(Xt))
    assert space.model_.X_fit_ is None or len(space.model_.X_fit_) == 100


def test_pca_space_is_exact():
    Xs, Xt = domains(4, n=(500, 10), d=40)
    space = Space("pca", n_components=5, seed=0).fit(Xs, Xt)
    assert space.model_.svd_solver == "full"
