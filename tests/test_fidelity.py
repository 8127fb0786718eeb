"""Every number means what its label says (issue 11): each test here fails on the behaviour before it."""
import warnings

import numpy as np
import pytest
import torch
from scipy.linalg import eig
from sklearn.metrics import balanced_accuracy_score
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import KFold

from tlbench.methods.eer import eer
from tlbench.methods.protocols import cross_validate, pooled_balanced_accuracy
from tlbench.methods.spaces import Space
from tlbench.methods.tca import TCA


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


def domains(seed=0, n=(60, 50), d=8):
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(n[0], d)) * np.linspace(0.5, 2, d)
    Xt = rng.normal(size=(n[1], d)) * np.linspace(2, 0.5, d) + 0.7
    return Xs, Xt


def textbook_tca(K: np.ndarray, ns: int, nt: int, mu: float, m: int) -> np.ndarray:
    """Pan et al. 2011 as printed: L and H built explicitly, the top-m eigenvectors of
    (KLK + mu I)^-1 KHK, scaled so that W'KHKW = I; returns the embedding K W."""
    n = ns + nt
    L = np.block([[np.full((ns, ns), 1 / ns**2), np.full((ns, nt), -1 / (ns * nt))],
                  [np.full((nt, ns), -1 / (ns * nt)), np.full((nt, nt), 1 / nt**2)]])
    H = np.eye(n) - np.ones((n, n)) / n
    vals, vecs = eig(np.linalg.solve(K @ L @ K + mu * np.eye(n), K @ H @ K))
    top = np.argsort(-vals.real)[:m]
    W = vecs[:, top].real
    W /= np.sqrt(np.diag(W.T @ K @ H @ K @ W))
    return K @ W


def same_up_to_sign(A: np.ndarray, B: np.ndarray) -> float:
    sign = np.sign(np.sum(A * B, axis=0))
    return float(np.abs(A - B * sign).max() / np.abs(B).max())


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_tca_embedding_equals_the_textbook_construction(kernel):
    Xs, Xt = domains()
    X = np.vstack([Xs, Xt])
    tca = TCA(n_components=3, kernel=kernel, mu=1.0, gamma=0.05, solver="dual").fit(Xs, Xt)
    K = X @ X.T if kernel == "linear" else rbf_kernel(X, X, gamma=0.05)
    assert same_up_to_sign(tca.transform(X), textbook_tca(K, len(Xs), len(Xt), 1.0, 3)) < 1e-6


@pytest.mark.parametrize("normalise, constraint", [("pan", "KHK"), ("b_orthonormal", "B")])
def test_tca_normalisation(normalise, constraint):
    Xs, Xt = domains(1)
    X = np.vstack([Xs, Xt])
    tca = TCA(n_components=4, kernel="rbf", gamma=0.1, mu=2.0, solver="dual", normalise=normalise).fit(Xs, Xt)
    W, K, n = tca.components_, rbf_kernel(X, X, gamma=0.1), len(X)
    H = np.eye(n) - 1 / n
    e = np.r_[np.full(len(Xs), 1 / len(Xs)), np.full(len(Xt), -1 / len(Xt))]
    M = K @ H @ K if constraint == "KHK" else K @ np.outer(e, e) @ K + 2.0 * np.eye(n)
    np.testing.assert_allclose(W.T @ M @ W, np.eye(4), atol=1e-8)


@pytest.mark.parametrize("normalise", ["pan", "b_orthonormal"])
def test_primal_and_dual_tca_are_the_same_method(normalise):
    Xs, Xt = domains(2, n=(40, 30), d=6)
    primal = TCA(n_components=3, solver="primal", normalise=normalise).fit(Xs, Xt)
    dual = TCA(n_components=3, solver="dual", normalise=normalise).fit(Xs, Xt)
    np.testing.assert_allclose(primal.eigenvalues_, dual.eigenvalues_, rtol=1e-9)
    for X in (Xs, Xt, Xs[:5] * 3):
        assert same_up_to_sign(primal.transform(X), dual.transform(X)) < 1e-9


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


def test_eer_accepts_column_scores():
    labels = np.r_[np.zeros(50), np.ones(50)]
    scores = np.r_[np.linspace(0, 1, 50), np.linspace(0.5, 1.5, 50)]
    assert eer(labels, scores[:, None]) == pytest.approx(eer(labels, scores))


def test_fp32_turns_tf32_off():
    from tlbench.models.device import configure_precision

    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    configure_precision(torch.device("cuda"), "fp32")
    assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32


def test_bf16_on_a_cpu_without_native_bf16_warns(monkeypatch):
    from tlbench.models import device

    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(UserWarning, match="no native bf16"):
        assert device.resolve_precision("bf16", torch.device("cpu")) == "bf16"
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        device.resolve_precision("bf16", torch.device("cpu"))
    assert device.resolve_precision("auto", torch.device("cpu")) == "fp32"


def test_keras_resize_is_nearest_neighbour():
    from PIL import Image

    from tlbench.models.preprocessing import Preprocessing

    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (37, 53, 3), dtype=np.uint8))
    pre = Preprocessing(16, "keras", (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), "w")
    expected = np.asarray(image.resize((16, 16), Image.NEAREST), dtype=np.float32).transpose(2, 0, 1) / 255
    np.testing.assert_allclose(pre(image).numpy(), expected, atol=1e-6)
    assert "nearest" in pre.describe()
    assert "bilinear" in Preprocessing(16, "squash", (0.0,) * 3, (1.0,) * 3, "w").describe()
