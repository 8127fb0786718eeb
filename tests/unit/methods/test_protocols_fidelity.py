"""Every number means what its label says (issue 11): each test here fails on the behaviour before it."""
import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import KFold

from tlbench.methods.protocols import cross_validate, pooled_balanced_accuracy


def ph2_like(order: np.ndarray | None = None, seed: int = 0):
    """200 images in PH2_dataset.txt's order (80 common, 80 atypical, 40 melanoma), or another order."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], [80, 80, 40])
    X = rng.normal(size=(200, 30)) + 0.9 * np.eye(3)[y] @ rng.normal(size=(3, 30))
    return (X, y) if order is None else (X[order], y[order])


def test_paper_folds_hold_one_class_so_their_mean_is_accuracy():
    X, y = ph2_like()
    folds = cross_validate(X, y, list(KFold(20).split(X)), C=1.0, standardize=True)
    assert all(f.n_classes == 1 for f in folds)
    pred = np.empty_like(y)
    for f in folds:
        pred[f.test_index] = f.y_pred
    recall = [np.mean(pred[y == c] == c) for c in range(3)]
    mean_of_folds = np.mean([f.balanced_accuracy for f in folds])
    assert mean_of_folds == pytest.approx(np.mean(pred == y))  # plain accuracy over all 200 images
    assert mean_of_folds == pytest.approx(0.4 * recall[0] + 0.4 * recall[1] + 0.2 * recall[2])
    assert pooled_balanced_accuracy(y, folds) == pytest.approx(balanced_accuracy_score(y, pred))


def test_a_doctored_order_mixes_the_classes_of_the_paper_folds():
    order = np.random.default_rng(1).permutation(200)
    X, y = ph2_like(order)
    folds = cross_validate(X, y, list(KFold(20).split(X)), C=1.0, standardize=True)
    assert sum(f.n_classes > 1 for f in folds) > 10  # the table's order, not the method, made folds single-class
    pred = np.empty_like(y)
    for f in folds:
        pred[f.test_index] = f.y_pred
    assert pooled_balanced_accuracy(y, folds) == pytest.approx(balanced_accuracy_score(y, pred))
