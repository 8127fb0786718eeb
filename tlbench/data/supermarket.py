"""Supermarket Produce (Rocha et al. 2010): `tropical-fruits-DB-1024x768/<class>/*.jpg`."""
from __future__ import annotations

from pathlib import Path

from .images import ImageFolder
from .registry import DATASETS

SUPERMARKET_URL = DATASETS["supermarket"].source
SUPERMARKET_COUNTS = (15, 2633)


def load_supermarket(root: str | Path) -> ImageFolder:
    """Supermarket Produce (Rocha et al. 2010): `tropical-fruits-DB-1024x768/<class>/*.jpg`, no label file.
    `root` may be that folder or the one holding it."""
    root = Path(root)
    inner = root / "tropical-fruits-DB-1024x768"
    return ImageFolder.scan(inner if inner.is_dir() else root,
                            f"get Supermarket Produce ({SUPERMARKET_URL}) and extract it to {root}")


def inspect(params, root: Path) -> list[tuple[str, dict, dict]]:
    ds = load_supermarket(root)
    found = {"classes": len(ds.classes), "images": len(ds.samples)}
    return [("supermarket", found, {"classes": SUPERMARKET_COUNTS[0], "images": SUPERMARKET_COUNTS[1]})]


DATASETS.implement("supermarket", inspect)
