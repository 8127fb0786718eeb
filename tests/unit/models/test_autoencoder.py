import numpy as np
import torch

from tlbench.models.autoencoder import ConvAutoencoder, train_autoencoder


def test_autoencoder_matches_the_seed_architecture():
    ae = ConvAutoencoder()
    x = torch.rand(2, 3, 32, 32)
    assert ae(x).shape == x.shape
    assert ae.code(x).shape == (2, 8 * 8 * 8)


def test_autoencoder_learns_and_is_seeded():
    rng = np.random.default_rng(0)
    images = (rng.random((64, 32, 32, 3)) * 40 + np.linspace(0, 200, 32)[None, None, :, None]).astype(np.uint8)
    cfg = {"lr": 0.01, "batch_size": 16, "epochs": 4}
    _, losses = train_autoencoder(images, cfg, seed=0)
    _, again = train_autoencoder(images, cfg, seed=0)
    assert losses[-1] < losses[0] and losses == again
