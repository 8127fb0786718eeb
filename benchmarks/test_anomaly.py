"""TCA fit time per domain size and kernel, and EER on 10^6 scores."""
import numpy as np
import pytest

from tlbench.methods.eer import eer
from tlbench.methods.tca import TCA

DIM = 1280  # EfficientNet-Lite0 pre-logits; ResNet50's is 2048


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
@pytest.mark.parametrize("n", [500, 1000, 2000, 4000])
def test_tca_fit(benchmark, n, kernel):
    rng = np.random.default_rng(0)
    Xs, Xt = rng.normal(size=(n, DIM)), rng.normal(size=(n, DIM)) + 0.5
    tca = TCA(n_components=64, kernel=kernel, solver="auto")
    benchmark.pedantic(tca.fit, args=(Xs, Xt), rounds=1, iterations=1)
    benchmark.extra_info.update(solver=tca.solver_, frames_per_domain=n)


def test_eer_on_a_million_scores(benchmark):
    rng = np.random.default_rng(0)
    labels = rng.random(1_000_000) < 0.2
    scores = rng.normal(size=1_000_000) + labels
    value = benchmark.pedantic(eer, args=(labels, scores), rounds=3, iterations=1)
    assert 0.3 < value < 0.33
