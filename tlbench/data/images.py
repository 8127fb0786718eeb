"""Decoding images and scanning `<root>/<class>/*` folders, with errors that name the file."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import TlbenchError


def open_rgb(path: Path) -> Image.Image:
    """Decode an image fully, or raise TlbenchError naming the file."""
    try:
        with Image.open(path) as im:
            im.load()
            return im.convert("RGB")
    except FileNotFoundError:
        raise TlbenchError(f"{path} is missing: restore it from the dataset archive") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise TlbenchError(
            f"{path} cannot be decoded ({exc}): replace it with an intact copy from the dataset archive"
        ) from None


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}


@dataclass
class ImageFolder:
    """Images in `<root>/<class>/*.jpg`; class = folder name, classes sorted by name."""

    root: Path
    classes: list[str]
    samples: list[tuple[Path, int]]

    @classmethod
    def scan(cls, root: Path, how_to_fix: str) -> ImageFolder:
        root = Path(root)
        if not root.is_dir():
            raise TlbenchError(f"{root} not found: {how_to_fix}")
        class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not class_dirs:
            raise TlbenchError(f"{root} has no class folders: {how_to_fix}")
        samples = []
        for k, d in enumerate(class_dirs):
            files = sorted(p for p in d.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
            if not files:
                raise TlbenchError(f"class folder {d} is empty: remove it or restore its images")
            samples += [(p, k) for p in files]
        return cls(root, [d.name for d in class_dirs], samples)

    @property
    def paths(self) -> list[Path]:
        return [p for p, _ in self.samples]

    @property
    def labels(self) -> np.ndarray:
        return np.array([k for _, k in self.samples], dtype=np.int64)

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=len(self.classes))
        return dict(zip(self.classes, counts.tolist()))


JUNK = re.compile(r"^(\.DS_Store|\._.*|.*~|Thumbs\.db)$")


def visible(paths) -> list[Path]:
    """Directory entries without the archive's .DS_Store, AppleDouble `._*` and `~` backups."""
    return sorted(p for p in paths if not JUNK.match(p.name))
