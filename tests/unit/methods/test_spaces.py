import numpy as np
import pytest

from tlbench.errors import TlbenchError
from tlbench.methods.spaces import Space


def domains(seed=0, n=120, d=12, shift=2.0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(n, d)) * 1.3 + shift


def test_spaces_and_pca_guard():
    Xs, Xt = domains(n=30, d=12)
    for kind in ("raw", "pca", "tca"):
        Z = Space(kind, n_components=4, tca={"n_components": 4}).fit(Xs, Xt).transform(Xt)
        assert Z.shape == (30, 12 if kind == "raw" else 4)
    with pytest.raises(TlbenchError, match="lower anomaly.pca.n_components"):
        Space("pca", n_components=40).fit(Xs, Xt)
    with pytest.raises(TlbenchError, match="unknown space 'ica'"):
        Space("ica", n_components=2).fit(Xs, Xt)
