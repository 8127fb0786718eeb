import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from tlbench.errors import TlbenchError
from tlbench.methods.protocols import (
    LinearKernelSVC,
    cross_validate,
    cv_splits,
    fold_balanced_accuracy,
    ph2_splits,
    task_labels,
    variance_fraction,
)

Y_PH2 = np.array([0] * 80 + [1] * 80 + [2] * 40)


def test_paper_protocol_is_unshuffled_folds_of_ten_in_dataset_order():
    splits = cv_splits("paper", Y_PH2, 20, seed=0)
    assert len(splits) == 20
    for k, (train, test) in enumerate(splits):
        assert list(test) == list(range(10 * k, 10 * k + 10))
        assert len(train) == 190
    assert cv_splits("paper", Y_PH2, 20, seed=1)[5][1].tolist() == splits[5][1].tolist()


def test_stratified_protocol_is_seeded_and_stratified():
    a = cv_splits("stratified", Y_PH2, 20, seed=0)
    b = cv_splits("stratified", Y_PH2, 20, seed=0)
    c = cv_splits("stratified", Y_PH2, 20, seed=1)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    assert any(not np.array_equal(x[1], y[1]) for x, y in zip(a, c))
    for _, test in a:
        assert np.bincount(Y_PH2[test], minlength=3).tolist() == [4, 4, 2]


def test_every_task_of_a_layer_is_scored_on_the_same_stratified_folds():
    """Stratified on the clinical diagnosis: each fold holds 4 + 4 + 2 images of the three classes, so the
    melanoma-vs-rest folds are stratified too (2 melanomas, 8 nevi), and stratifying on the binary labels
    instead would draw other folds (the 40 fold kernels of a layer would be 60)."""
    splits = ph2_splits(["paper", "stratified"], Y_PH2, 20, seed=0)
    assert [t.tolist() for _, t in splits["paper"]] == [t.tolist() for _, t in cv_splits("paper", Y_PH2, 20, 0)]
    melanoma = task_labels("melanoma_vs_rest", Y_PH2)
    for _, test in splits["stratified"]:
        assert np.bincount(Y_PH2[test], minlength=3).tolist() == [4, 4, 2]
        assert np.bincount(melanoma[test]).tolist() == [8, 2]
    binary = cv_splits("stratified", melanoma, 20, seed=0)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(splits["stratified"], binary))


def test_too_many_folds_for_the_smallest_class():
    with pytest.raises(TlbenchError, match="smallest class has 3"):
        cv_splits("stratified", np.array([0] * 30 + [1] * 3), 5, seed=0)
    with pytest.raises(TlbenchError, match="n_folds"):
        cv_splits("paper", Y_PH2[:10], 20, seed=0)


def test_tasks():
    assert task_labels("melanoma_vs_rest", np.array([0, 1, 2, 2])).tolist() == [0, 0, 1, 1]
    assert task_labels("three_class", np.array([0, 1, 2])).tolist() == [0, 1, 2]
    with pytest.raises(TlbenchError, match="unknown task"):
        task_labels("four_class", Y_PH2)


@pytest.mark.parametrize("standardize", [True, False])
def test_precomputed_kernel_svm_matches_sklearn_linear_svc(standardize):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 300)) * rng.uniform(0.1, 10, 300) + rng.normal(0, 3, 300)
    X[:, :10] = 1.0  # constant features, as dead ReLU units give
    y = (X[:, 10:20].sum(1) + rng.normal(0, 2, 120) > X[:, 10:20].sum(1).mean()).astype(int)
    ours = LinearKernelSVC(C=0.5, standardize=standardize).fit(X[:90], y[:90])
    ref = SVC(kernel="linear", C=0.5)
    ref = make_pipeline(StandardScaler(), ref) if standardize else ref
    ref.fit(X[:90], y[:90])
    np.testing.assert_array_equal(ours.predict(X[90:]), ref.predict(X[90:]))
    np.testing.assert_allclose(ours.decision_function(X[90:]), ref.decision_function(X[90:]), rtol=1e-6, atol=1e-6)


def test_single_class_fold_scores_that_class_recall():
    assert fold_balanced_accuracy(np.array([2] * 10), np.array([2] * 7 + [0] * 3)) == pytest.approx(0.7)
    assert fold_balanced_accuracy(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])) == pytest.approx(0.75)


def test_cross_validate_separable_data_scores_one():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], 20)
    X = rng.normal(size=(40, 5)) + y[:, None] * 10
    scores = cross_validate(X, y, cv_splits("stratified", y, 5, seed=0), C=1.0, standardize=True)
    assert [s.balanced_accuracy for s in scores] == [1.0] * 5


def test_nan_features_are_refused():
    X = np.ones((4, 3))
    X[1, 1] = np.nan
    with pytest.raises(TlbenchError, match="NaN"):
        LinearKernelSVC().fit(X, np.array([0, 1, 0, 1]))


def test_variance_fraction_counts_constant_columns():
    X = np.zeros((5, 40000), dtype=np.float32)
    X[:, ::4] = np.arange(5)[:, None]
    assert variance_fraction(X, chunk=1000) == 0.25


def _dead_and_constant_features(rng, n=120, d=300):
    """Features with a float64 constant whose mean does not round-trip (0.1: the std of 90 copies is
    2.8e-17; float32 features always round-trip), and units dead on the training images but alive on
    a few test images, as ReLU units give."""
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 10, d) + rng.normal(0, 3, d)
    X[:, :10] = 0.1
    X[:90, 10:15] = 0.0
    X[90:, 10:15] = rng.uniform(0.5, 2.0, (n - 90, 5))
    y = (X[:, 20:30].sum(1) + rng.normal(0, 2, n) > X[:, 20:30].sum(1).mean()).astype(int)
    return X, y


def test_features_constant_on_the_training_rows_are_not_divided_by_rounding_noise():
    X, y = _dead_and_constant_features(np.random.default_rng(3))
    ours = LinearKernelSVC(C=0.5).fit(X[:90], y[:90])
    assert (ours.scale_[:15] == 1.0).all()  # the std of 90 copies of 0.1 is ~1e-17, not a scale
    ref = make_pipeline(StandardScaler(), SVC(kernel="linear", C=0.5)).fit(X[:90], y[:90])
    np.testing.assert_allclose(ours.decision_function(X[90:]), ref.decision_function(X[90:]), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("standardize", [True, False])
def test_fold_kernels_equal_each_folds_own_z_scored_kernel(standardize):
    from tlbench.methods.fold_kernels import FoldKernels

    X, y = _dead_and_constant_features(np.random.default_rng(4))
    X[:100, 40:45] = 0.0  # alive on the last paper test fold only: constant on its training rows
    splits = cv_splits("paper", y, 6, seed=0) + cv_splits("stratified", y, 6, seed=0)
    kernels = FoldKernels(X, splits, standardize, chunk=64)  # several column blocks
    for train, _ in splits:
        Z = LinearKernelSVC(standardize=standardize).fit(X[train], y[train])._prep(X)
        # standardized, the product runs in float32 on float64 z-scores: within a few float32 epsilons
        tol = (1e-6 if standardize else 1e-9) * np.abs(Z @ Z.T).max()
        np.testing.assert_allclose(kernels[train], Z @ Z.T, rtol=0, atol=tol)


def test_fold_kernels_are_the_same_to_the_bit_whatever_the_threads_and_the_blas_threads():
    """The folds are shared among threads, each product on one BLAS thread: every kernel must equal the
    one computed fold after fold with the BLAS on one thread and on two (the stage's records, and the
    local and Ray backends' bytes, depend on it); the threads' shares must cover every fold."""
    from threadpoolctl import threadpool_limits

    from tlbench.methods.fold_kernels import FoldKernels

    X, y = _dead_and_constant_features(np.random.default_rng(6))
    X = np.hstack([X, np.random.default_rng(7).normal(size=(len(X), 700))])  # products the BLAS splits
    splits = cv_splits("paper", y, 7, seed=0) + cv_splits("stratified", y, 7, seed=0)
    with threadpool_limits(limits=1, user_api="blas"):
        sequential = FoldKernels(X, splits, chunk=300, threads=1)
    with threadpool_limits(limits=2, user_api="blas"):
        runs = [FoldKernels(X, splits, chunk=300, threads=t) for t in (1, 2, 3, None)]
    for train, _ in splits:
        assert not np.all(sequential[train] == 0)
        for kernels in runs:
            assert np.array_equal(kernels[train], sequential[train])


def test_cross_validate_through_fold_kernels_predicts_as_the_per_fold_svm():
    X, y = _dead_and_constant_features(np.random.default_rng(5))
    splits = cv_splits("stratified", y, 5, seed=0)
    scores = cross_validate(X, y, splits, C=1.0, standardize=True)
    for s, (train, test) in zip(scores, splits):
        expected = LinearKernelSVC(C=1.0).fit(X[train], y[train]).predict(X[test])
        np.testing.assert_array_equal(s.y_pred, expected)


@pytest.mark.parametrize("seed", range(6))
def test_balanced_accuracy_is_sklearns_to_the_bit(seed):
    """The numpy balanced accuracy replaces sklearn's for speed only: the same float, with classes
    predicted that the fold lacks and classes the fold holds that are never predicted."""
    import warnings

    from sklearn.metrics import balanced_accuracy_score

    from tlbench.methods.protocols import balanced_accuracy

    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2 + seed % 3, 7 + 11 * seed)
    y_pred = rng.integers(0, 4, len(y_true))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        want = balanced_accuracy_score(y_true, y_pred)
    assert balanced_accuracy(y_true, y_pred) == want
