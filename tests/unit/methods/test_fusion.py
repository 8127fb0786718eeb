import numpy as np
import pytest

from tlbench.errors import TlbenchError
from tlbench.methods.fusion import align, evaluate_column


def test_alignment_puts_descriptors_on_one_scale():
    rng = np.random.default_rng(0)
    big, small = rng.normal(size=(40, 5)) * 1000, rng.normal(size=(40, 3)) * 0.001
    for how in ("standardize", "l2"):
        a, _ = align(big[:30], big[30:], how)
        b, _ = align(small[:30], small[30:], how)
        ratio = np.linalg.norm(a, axis=1).mean() / np.linalg.norm(b, axis=1).mean()
        assert 0.5 < ratio < 2
    with pytest.raises(TlbenchError, match="standardize or l2"):
        align(big, big, "zscore")


def test_fusion_helps_when_the_local_descriptor_carries_the_class():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(3), 40)
    glob = rng.normal(size=(120, 20))
    local = rng.normal(size=(120, 6)) * 0.01 + y[:, None] * 0.02  # informative but tiny in scale
    train, test = np.arange(0, 120, 2), np.arange(1, 120, 2)
    alone = evaluate_column([glob], y, train, test, [4], "standardize", 1.0)[4]
    fused = evaluate_column([glob, local], y, train, test, [4], "standardize", 1.0)[4]
    assert fused > alone + 0.3


def test_more_components_than_training_images():
    y = np.repeat([0, 1], 10)
    with pytest.raises(TlbenchError, match="PCA to 16 features needs at least 16 training images"):
        evaluate_column([np.random.default_rng(0).normal(size=(20, 30))], y, np.arange(10), np.arange(10, 20), [16],
                        "l2", 1.0)


def test_every_size_is_the_pca_of_that_size():
    """One SVD serves every size: the accuracies are those of a PCA fitted to each size on its own (the
    reference fits sklearn's PCA(n, svd_solver="full") per size, as Table 7's protocol reads)."""
    from sklearn.decomposition import PCA
    from sklearn.svm import SVC

    rng = np.random.default_rng(2)
    y = np.repeat(np.arange(4), 30)
    X = rng.normal(size=(120, 50)) + 0.4 * y[:, None] * rng.normal(size=50)
    train, test = np.arange(0, 120, 2), np.arange(1, 120, 2)
    sizes = [40, 20, 8, 3]
    got = evaluate_column([X], y, train, test, sizes, "standardize", 1.0)
    Xtr, Xte = align(X[train], X[test], "standardize")
    for n in sizes:
        pca = PCA(n, svd_solver="full").fit(Xtr)
        want = (SVC(kernel="linear", C=1.0).fit(pca.transform(Xtr), y[train]).predict(pca.transform(Xte)) == y[test])
        assert got[n] == want.mean()
    assert len(set(got.values())) > 1  # the sizes differ: a fixture where slicing wrongly would show
