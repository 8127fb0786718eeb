"""The seed's convolutional autoencoder for 32x32 images, trained with MSE and Adam."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .batching import batches
from .device import deterministic_training


class ConvAutoencoder(nn.Module):
    """The seed's AE for 32x32 inputs: Conv(8, stride 2) -> Conv(8) -> max-pool -> flattened code
    (8 x 8 x 8 = 512); the decoder mirrors it."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                                     nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.decoder = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                                     nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))

    def code(self, x):
        return self.encoder(x).flatten(1)


def train_autoencoder(train: np.ndarray, cfg: dict, seed: int) -> tuple[ConvAutoencoder, list[float]]:
    deterministic_training(int(cfg.get("threads", 0)))
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(train).permute(0, 3, 1, 2).float() / 255
    model = ConvAutoencoder()
    opt = torch.optim.Adam(model.parameters(), lr=float(cfg["lr"]))
    losses = []
    for _ in range(int(cfg["epochs"])):
        total = 0.0
        for idx in batches(len(x), int(cfg["batch_size"]), rng):
            loss = nn.functional.mse_loss(model(x[idx]), x[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / len(x))
    return model.eval(), losses
