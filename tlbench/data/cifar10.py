"""CIFAR-10, python version (`cifar-10-batches-py/`)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import TlbenchError
from .registry import CIFAR10_URL, DATASETS

CIFAR10_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]


@dataclass
class CIFAR10:
    """CIFAR-10, python version (`cifar-10-batches-py/`). Batches are unpickled one at a time."""

    root: Path

    @classmethod
    def load(cls, root: str | Path) -> CIFAR10:
        root = Path(root)
        missing = [f for f in CIFAR10_FILES if not (root / f).is_file()]
        if missing:
            raise TlbenchError(f"{root / missing[0]} not found: get {CIFAR10_URL} (`tlbench data fetch cifar10`) "
                               f"and extract it so that {root}/data_batch_1 exists")
        return cls(root)

    def _batch(self, name: str) -> dict:
        import pickle

        try:
            with open(self.root / name, "rb") as fh:
                batch = pickle.load(fh, encoding="bytes")
            data = np.asarray(batch[b"data"], dtype=np.uint8)
            labels = np.asarray(batch[b"labels"], dtype=np.int64)
        except Exception as exc:
            raise TlbenchError(
                f"{self.root / name} cannot be read ({type(exc).__name__}): extract the archive again"
            ) from None
        if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
            raise TlbenchError(
                f"{self.root / name}: data of shape {data.shape} for {len(labels)} labels, expected N x 3072"
            )
        return {"data": data, "labels": labels}

    @property
    def classes(self) -> list[str]:
        import pickle

        with open(self.root / "batches.meta", "rb") as fh:
            return [c.decode() for c in pickle.load(fh, encoding="bytes")[b"label_names"]]

    def split_labels(self, split: str) -> np.ndarray:
        names = CIFAR10_FILES[:5] if split == "train" else ["test_batch"]
        return np.concatenate([self._batch(n)["labels"] for n in names])

    def images(self, split: str, indices: np.ndarray) -> np.ndarray:
        """The images at `indices` of a split, (n, 32, 32, 3) uint8, reading one batch at a time."""
        names = CIFAR10_FILES[:5] if split == "train" else ["test_batch"]
        indices = np.asarray(indices)
        out = np.empty((len(indices), 32, 32, 3), dtype=np.uint8)
        offset = 0
        for name in names:
            batch = self._batch(name)
            n = len(batch["labels"])
            hit = (indices >= offset) & (indices < offset + n)
            if hit.any():
                out[hit] = batch["data"][indices[hit] - offset].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
            offset += n
        return out

    def subsample(self, fraction: float, seed: int, split: str = "train") -> np.ndarray:
        """The seed's stratified subsample (5 % by default) of a split, as sorted indices."""
        from sklearn.model_selection import train_test_split

        labels = self.split_labels(split)
        idx, _ = train_test_split(np.arange(len(labels)), train_size=fraction, stratify=labels, random_state=seed)
        return np.sort(idx)


def inspect(params, root: Path) -> list[tuple[str, dict, dict]]:
    ds = CIFAR10.load(root)
    found = {"train": len(ds.split_labels("train")), "test": len(ds.split_labels("test"))}
    return [("cifar10", found, {"train": 50000, "test": 10000})]


DATASETS.implement("cifar10", inspect)
