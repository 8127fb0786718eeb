"""The seed's linear SVM on a precomputed kernel, fitted and applied exactly as scikit-learn's
`SVC(kernel="precomputed")` does, through the same libsvm calls, without SVC's per-call checks: a PH2
fold's fit and predict took ~5 ms, of which libsvm ~0.8 ms and the rest validating the same arrays
again (960 folds in the demo's ph2_evaluate, 1,920 in the paper's). The kernel is checked once, by
FoldKernels. Where this scikit-learn's private `sklearn.svm._libsvm` is missing or its signature moved,
SVC itself runs (the same predictions, the old speed)."""
from __future__ import annotations

import numpy as np

C_SVC = 0  # libsvm's svm_type of SVC (sklearn.svm._base.LIBSVM_IMPL.index("c_svc"))
SVC_DEFAULTS = {"tol": 1e-3, "shrinking": 1, "cache_size": 200.0, "max_iter": -1}  # SVC's, where libsvm's differ


def _binding():
    """scikit-learn's libsvm binding, or None where this scikit-learn has none."""
    try:
        from sklearn.svm import _libsvm
    except ImportError:
        return None
    return _libsvm


def fit_predict(K_train: np.ndarray, y_train: np.ndarray, K_test: np.ndarray, C: float) -> np.ndarray:
    """Labels of the test rows: `SVC(kernel="precomputed", C=C).fit(K_train, y_train).predict(K_test)`."""
    classes, index = np.unique(y_train, return_inverse=True)
    K_train = np.ascontiguousarray(K_train, dtype=np.float64)
    K_test = np.ascontiguousarray(K_test, dtype=np.float64)
    libsvm = _binding()
    try:
        libsvm.set_verbosity_wrap(0)  # as SVC(verbose=False) does: libsvm otherwise prints every fit to stdout
        model = libsvm.fit(K_train, index.astype(np.float64), svm_type=C_SVC, sample_weight=np.empty(0),
                           class_weight=np.ones(len(classes)), kernel="precomputed", C=C, **SVC_DEFAULTS)
        support, vectors, n_support, dual_coef, intercept, prob_a, prob_b = model[:7]
        predicted = libsvm.predict(K_test, support, vectors, n_support, dual_coef, intercept, prob_a, prob_b,
                                   svm_type=C_SVC, kernel="precomputed", cache_size=SVC_DEFAULTS["cache_size"])
    except (AttributeError, TypeError, ValueError):  # no binding, or its signature moved
        from sklearn.svm import SVC

        return SVC(kernel="precomputed", C=C).fit(K_train, y_train).predict(K_test)
    return classes.take(np.asarray(predicted, dtype=np.intp))
