"""Image sources for the extraction engine: `len(source)` and `source.image(i)` -> PIL RGB image.
Files, video frames or in-memory arrays, decoded one at a time (in DataLoader workers)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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


SEEK_MIN_JUMP = 100  # shorter forward jumps decode their way there: as fast as a seek, and exact


def _grab(cap, n: int, video: Path) -> None:
    for _ in range(n):
        if not cap.grab():
            raise TlbenchError(f"{video}: the video ends before the frame asked for: it is truncated or corrupt; "
                               f"download it again")


def advance(cap, current: int, index: int, video: Path) -> int:
    """Move `cap`, whose next read() returns frame `current`, so that it returns frame `index`.

    Seeks (CAP_PROP_POS_FRAMES) are checked where they landed: with codecs whose frames are not all
    keyframes (the real York videos), a seek can land elsewhere and shift every label. A seek that
    lands before `index` decodes forward from there; one that lands after it, or nowhere known,
    reopens the video and decodes from the start."""
    import cv2

    if current <= index <= current + SEEK_MIN_JUMP:
        _grab(cap, index - current, video)
        return index
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    landed = int(round(cap.get(cv2.CAP_PROP_POS_FRAMES)))
    if not 0 <= landed <= index:
        cap.open(str(video))
        landed = 0
    _grab(cap, index - landed, video)
    return index


class VideoFrames:
    """Frames `indices` of a video, decoded sequentially (seeking, verified, only when indices jump)."""

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
        self._next = advance(self._cap, self._next, index, self.video)
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
