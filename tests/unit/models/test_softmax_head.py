import numpy as np

from tlbench.models.softmax_head import train_softmax_head


def test_softmax_head_learns_separable_features():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 30)
    X = rng.normal(size=(90, 8))
    X[np.arange(90), y] += 4  # each class shifted along its own axis
    history = train_softmax_head(X[::2], y[::2], X[1::2], y[1::2], 3, {"lr": 0.1, "batch_size": 8, "epochs": 10}, 0)
    assert history[-1]["val_accuracy"] > 0.9 and history[-1]["train_loss"] < history[0]["train_loss"]
