"""Evaluation protocols: cross-validation splits, tasks and the linear SVM of the seed."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.svm import SVC

from ..errors import TlbenchError
from .fold_kernels import FoldKernels
from .registry import PROTOCOLS, TASKS
from .svm import fit_predict
from .zscore import zscore_scale


def task_labels(task: str, clinical: np.ndarray) -> np.ndarray:
    mapping = TASKS[task].mapping
    return np.array([mapping[int(c)] for c in clinical], dtype=np.int64)


def cv_splits(protocol: str, y: np.ndarray, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """`paper`: KFold unshuffled in dataset order; `stratified`: StratifiedKFold shuffled with `seed`."""
    PROTOCOLS[protocol]  # an unknown name fails here, with the valid ones
    if n_folds < 2 or n_folds > len(y):
        raise TlbenchError(f"ph2.n_folds is {n_folds} for {len(y)} images: use 2..{len(y)}")
    X = np.zeros((len(y), 1))
    if protocol == "paper":
        return list(KFold(n_folds, shuffle=False).split(X))
    smallest = np.bincount(y).min()
    if smallest < n_folds:
        raise TlbenchError(
            f"stratified {n_folds}-fold CV needs {n_folds} images per class, the smallest class has {smallest}: "
            "lower ph2.n_folds"
        )
    return list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(X, y))


def ph2_splits(protocols, clinical: np.ndarray, n_folds: int, seed: int) -> dict[str, list]:
    """{protocol: folds}, one set per protocol for every task: stratified folds are stratified on the
    clinical diagnosis (three classes), which stratifies every task derived from it (melanoma vs. rest too).
    The tasks are then compared on the same folds, and each fold's z-scored kernel is computed once for
    both tasks (40 fold kernels per layer instead of 60: the fold kernels are ph2_evaluate's cost)."""
    return {protocol: cv_splits(protocol, np.asarray(clinical), n_folds, seed) for protocol in protocols}


class LinearKernelSVC(ClassifierMixin, BaseEstimator):
    """`SVC(kernel='linear')` computed through a precomputed Gram matrix.

    The same optimisation problem as the seed's linear SVM, but the kernel is one BLAS matmul
    instead of libsvm's per-pair dot products: with 100,352 features and 190 training images
    this is what makes 20-fold CV over many layers affordable. Optional standardization uses the
    training data's mean and std only.
    """

    def __init__(self, C: float = 1.0, standardize: bool = True):
        self.C = C
        self.standardize = standardize

    def _prep(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return (X - self.mean_) / self.scale_ if self.standardize else X

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        if not np.isfinite(X).all():
            raise TlbenchError("features contain NaN or inf: re-run extraction (precision fp32) or check the images")
        if self.standardize:
            self.mean_ = X.mean(axis=0)
            self.scale_ = zscore_scale(X.var(axis=0), self.mean_, len(X))
        self.train_ = self._prep(X)
        self.svc_ = SVC(kernel="precomputed", C=self.C).fit(self.train_ @ self.train_.T, y)
        self.classes_ = self.svc_.classes_
        return self

    def decision_function(self, X):
        return self.svc_.decision_function(self._prep(X) @ self.train_.T)

    def predict(self, X):
        return self.svc_.predict(self._prep(X) @ self.train_.T)


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The mean over the classes present in `y_true` of their recall: scikit-learn's
    `balanced_accuracy_score` to the bit (its per-class recalls, NaN-free, averaged in class order), without
    its input validation, which cost 2.7 ms a call (ph2_evaluate scores 1,440 folds per demo run)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes, index = np.unique(y_true, return_inverse=True)
    hits = np.bincount(index, weights=y_pred == y_true, minlength=len(classes))
    return float(np.mean(hits / np.bincount(index, minlength=len(classes))))


def fold_balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Balanced accuracy over the classes present in the fold.

    PH2_dataset.txt lists 80 common nevi, then 80 atypical, then 40 melanomas, so every unshuffled
    fold of the seed's KFold(20) holds one class, and its balanced accuracy is that class's recall
    (hence the seed's 10 % steps). The mean over such equal folds is plain accuracy over all images
    (0.4 r_CN + 0.4 r_AN + 0.2 r_MEL). Predicted classes absent from the fold do not count (scikit-learn
    warns about them and leaves them out too)."""
    return balanced_accuracy(y_true, y_pred)


@dataclass
class FoldScore:
    fold: int
    n_train: int
    n_test: int
    balanced_accuracy: float  # over the classes in the fold: the recall of its class when it holds one
    accuracy: float
    n_classes: int  # classes present in the test fold
    test_index: np.ndarray
    y_pred: np.ndarray


def cross_validate(X: np.ndarray, y: np.ndarray, splits, C: float, standardize: bool, kernels=None) -> list[FoldScore]:
    """The linear SVM of the seed per fold, trained and tested through the fold's precomputed kernel
    (`kernels`: a FoldKernels holding these splits, shared by the tasks and protocols of one layer). The
    folds run on as many threads as the BLAS may use here (libsvm releases the GIL), in fold order."""
    kernels = kernels if kernels is not None else FoldKernels(X, splits, standardize)

    def score(fold: tuple[int, tuple]) -> FoldScore:
        k, (train, test) = fold
        with config_context(assume_finite=True, skip_parameter_validation=True):  # checked by FoldKernels
            return _fold_score(k, train, test, y, kernels[train], C)

    workers = min(kernels.threads, len(splits))
    if workers < 2:
        return [score(fold) for fold in enumerate(splits)]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(score, enumerate(splits)))


def _fold_score(k: int, train, test, y: np.ndarray, K: np.ndarray, C: float) -> FoldScore:
    if len(np.unique(y[train])) < 2:
        raise TlbenchError(f"fold {k} trains on one class only: use the stratified protocol or fewer folds")
    pred = fit_predict(K[np.ix_(train, train)], y[train], K[np.ix_(test, train)], C)
    return FoldScore(k, len(train), len(test), fold_balanced_accuracy(y[test], pred),
                     float((pred == y[test]).mean()), len(np.unique(y[test])), np.asarray(test), pred)


def pooled_balanced_accuracy(y: np.ndarray, folds: list[FoldScore]) -> float:
    """Balanced accuracy of all out-of-fold predictions together: each class weighs the same whatever
    the folds hold (unlike the mean over folds, which is plain accuracy when every fold holds one class)."""
    index = np.concatenate([f.test_index for f in folds])
    pred = np.concatenate([f.y_pred for f in folds])
    return balanced_accuracy(y[index], pred)


def variance_fraction(X: np.ndarray, chunk: int = 16384) -> float:
    """Fraction of features whose variance over the dataset is non-zero (the seed's
    'Features with Variance'), computed column-chunk by chunk to keep memory flat."""
    nonzero = 0
    for start in range(0, X.shape[1], chunk):
        block = np.asarray(X[:, start:start + chunk], dtype=np.float64)
        nonzero += int((block.max(axis=0) > block.min(axis=0)).sum())
    return nonzero / X.shape[1]
