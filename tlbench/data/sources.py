"""Image sources for the extraction engine: `len(source)` and `source.image(i)` -> PIL RGB image.
Files, video frames or in-memory arrays, decoded one at a time (in DataLoader workers)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import TlbenchError
from .images import open_rgb


class PathSource:
    """Images stored one per file."""

    def __init__(self, paths: Sequence[Path]):
        self.paths = [Path(p) for p in paths]

    def __len__(self) -> int:
        return len(self.paths)

    def image(self, i: int):
        return open_rgb(self.paths[i])


class VideoFrames:
    """Frames `indices` of a video, decoded sequentially (seeking only when indices jump)."""

    def __init__(self, video: str | Path, indices: Sequence[int]):
        self.video, self.indices = Path(video), [int(i) for i in indices]
        self._cap, self._next = None, None

    def __len__(self) -> int:
        return len(self.indices)

    def __getstate__(self):  # a DataLoader worker opens its own capture
        return {**self.__dict__, "_cap": None, "_next": None}

    def image(self, i: int):
        import cv2
        from PIL import Image

        index = self.indices[i]
        if self._cap is None:
            self._cap, self._next = cv2.VideoCapture(str(self.video)), 0
        if index != self._next:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = self._cap.read()
        if not ok:
            raise TlbenchError(f"{self.video}: frame {index} cannot be decoded: the video is truncated or corrupt; "
                               f"download it again")
        self._next = index + 1
        return Image.fromarray(np.ascontiguousarray(frame[:, :, ::-1]))


class ArraySource:
    """Images held as an (N, H, W, 3) uint8 array (the CIFAR subsample is small)."""

    def __init__(self, images: np.ndarray):
        self.images = images

    def __len__(self):
        return len(self.images)

    def image(self, i):
        from PIL import Image

        return Image.fromarray(self.images[i])
