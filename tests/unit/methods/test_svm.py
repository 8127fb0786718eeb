"""The fast path of the seed's linear SVM gives scikit-learn's SVC(kernel="precomputed") predictions
exactly, and falls back to SVC itself where scikit-learn's private libsvm binding moved."""
import numpy as np
import pytest
from sklearn.svm import SVC

from tlbench.methods.svm import fit_predict


def _kernels(rng, n_train: int, n_test: int, d: int, labels) -> tuple:
    y = rng.choice(labels, n_train + n_test)
    X = rng.standard_normal((n_train + n_test, d)) + 0.8 * y[:, None] / max(labels)
    K = X @ X[:n_train].T
    return K[:n_train], y[:n_train], K[n_train:], y[n_train:]


@pytest.mark.parametrize("labels", [(0, 1), (2, 5, 7)])  # binary, and three classes with gaps in their labels
@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
def test_predictions_are_svc_s(labels, C):
    rng = np.random.default_rng(len(labels) + int(C * 100))
    K_train, y_train, K_test, _ = _kernels(rng, 190, 60, 300, labels)
    expected = SVC(kernel="precomputed", C=C).fit(K_train, y_train).predict(K_test)
    got = fit_predict(K_train, y_train, K_test, C)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert len(np.unique(expected)) > 1  # the test would notice a constant prediction


class MovedBinding:
    """A libsvm binding whose signature changed in some scikit-learn release."""

    @staticmethod
    def fit(*args, **kwargs):
        raise TypeError("fit() got an unexpected keyword argument 'class_weight'")


@pytest.mark.parametrize("binding", [MovedBinding(), None], ids=["moved", "missing"])
def test_falls_back_to_svc_when_the_private_binding_moved_or_is_missing(monkeypatch, binding):
    from tlbench.methods import svm

    rng = np.random.default_rng(0)
    K_train, y_train, K_test, _ = _kernels(rng, 120, 40, 50, (0, 1, 2))
    expected = SVC(kernel="precomputed").fit(K_train, y_train).predict(K_test)
    monkeypatch.setattr(svm, "_binding", lambda: binding)
    assert np.array_equal(fit_predict(K_train, y_train, K_test, 1.0), expected)


def test_prints_nothing_from_libsvm_in_a_fresh_process():
    """libsvm prints its optimisation trace unless told to be quiet, which SVC does on every fit; a stage
    that never fits an SVC must tell it itself (960 traces filled a `dvc repro` log)."""
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from tlbench.methods.svm import fit_predict\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.standard_normal((40, 5)); y = (X[:, 0] > 0).astype(int)\n"
        "K = X @ X.T\n"
        "print('labels', fit_predict(K[:30, :30], y[:30], K[30:, :30], 1.0).tolist())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("labels [") and done.stdout.count("\n") == 1, done.stdout[:300]
