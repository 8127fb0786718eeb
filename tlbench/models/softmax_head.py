"""The seed's fine-tuning recipe: a new softmax layer on a frozen network's features."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .batching import batches
from .device import deterministic_training


def train_softmax_head(Xtr, ytr, Xte, yte, n_classes: int, cfg: dict, seed: int) -> list[dict]:
    """The seed's fine-tuning recipe: a new softmax layer on the frozen network's -2 features,
    SGD, cross-entropy. With the base frozen (and no augmentation) its input never changes, so it
    trains on the cached features: the same computation, without 10 forward passes per image."""
    deterministic_training(int(cfg.get("threads", 0)))
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    head = nn.Linear(Xtr.shape[1], n_classes)
    opt = torch.optim.SGD(head.parameters(), lr=float(cfg["lr"]))
    xt, yt = torch.from_numpy(Xtr).float(), torch.from_numpy(ytr)
    xv, yv = torch.from_numpy(Xte).float(), torch.from_numpy(yte)
    history = []
    for epoch in range(int(cfg["epochs"])):
        total, correct = 0.0, 0
        for idx in batches(len(xt), int(cfg["batch_size"]), rng):
            logits = head(xt[idx])
            loss = nn.functional.cross_entropy(logits, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == yt[idx]).sum())
        with torch.no_grad():
            val = head(xv)
        history.append({"epoch": epoch + 1, "train_loss": total / len(xt), "train_accuracy": correct / len(xt),
                        "val_loss": float(nn.functional.cross_entropy(val, yv)),
                        "val_accuracy": float((val.argmax(1) == yv).float().mean())})
    return history
