"""The York traffic scenes (Zaharescu & Wildes 2010): an `input.avi` plus `GT/gt-NNNNN.png` per frame.
Frames are decoded lazily."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import TlbenchError
from .images import visible
from .registry import DATASETS, SCENES, YORK_URL
from .sources import advance

YORK_SCENES = {"belleview": "Traffic-Belleview", "train": "Traffic-Train"}


@dataclass
class VideoScene:
    """A scene stored as one video plus a GT mask per frame (`GT/gt-NNNNN.png`)."""

    name: str
    root: Path
    video: Path
    n_frames: int
    size: tuple[int, int]  # (w, h)
    gt: dict[int, Path]

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Decode frames [start, stop) lazily as RGB arrays."""
        import cv2

        stop = self.n_frames if stop is None else min(stop, self.n_frames)
        cap = cv2.VideoCapture(str(self.video))
        try:
            advance(cap, 0, start, self.video)
            for index in range(start, stop):
                ok, frame = cap.read()
                if not ok:
                    raise TlbenchError(f"{self.video}: frame {index} of {self.n_frames} cannot be decoded: "
                                       f"the video is truncated or corrupt; download it again")
                yield index, frame[:, :, ::-1]
        finally:
            cap.release()

    def anomalous(self, start: int, stop: int) -> np.ndarray:
        """A frame is anomalous when its GT mask has any non-zero pixel."""
        labels = np.zeros(stop - start, dtype=bool)
        for i in range(start, stop):
            path = self.gt.get(i)
            if path is None:
                raise TlbenchError(
                    f"{self.root / 'GT'} has no mask for frame {i} (gt-{i:05d}.png): the test range needs one per frame"
                )
            with Image.open(path) as im:
                if im.size != self.size:
                    raise TlbenchError(f"{path} is {im.size[0]}x{im.size[1]}, the frames of {self.video} are "
                                       f"{self.size[0]}x{self.size[1]}: use the GT of this video")
                labels[i - start] = np.asarray(im).any()
        return labels


def load_york(root: str | Path, scene: str) -> VideoScene:
    import cv2

    if scene not in YORK_SCENES:
        raise TlbenchError(f"unknown York scene {scene!r}: use belleview or train")
    folder = Path(root) / YORK_SCENES[scene]
    video = folder / "input.avi"
    if not video.is_file():
        raise TlbenchError(f"{video} not found: get {YORK_URL.format(folder=folder.name)} "
                           f"(`tlbench data fetch york`) and unzip it into {Path(root)}")
    cap = cv2.VideoCapture(str(video))
    ok, frame = cap.read()
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    if not ok or n <= 0:
        raise TlbenchError(f"{video} cannot be decoded: download it again (OpenCV reads MJPG/XVID/H.264 AVIs)")
    gt = {}
    for p in visible((folder / "GT").glob("gt-*.png")) if (folder / "GT").is_dir() else []:
        gt[int(re.search(r"(\d+)", p.stem).group(1))] = p
    if not gt:
        raise TlbenchError(f"{folder / 'GT'} holds no gt-NNNNN.png masks: unzip the whole {folder.name}.zip")
    return VideoScene(scene, folder, video, n, (frame.shape[1], frame.shape[0]), gt)


def protocol(params, scene: str, n_frames: int) -> dict[str, tuple[int, int]]:
    """The profile's inclusive [first, last] frame ranges (null = the last frame) as half-open ranges,
    checked against the video's length."""
    spec = params.settings.york_protocol[scene]
    out = {}
    for part in ("train", "test"):
        first, last = getattr(spec, part)
        out[part] = (int(first), n_frames if last is None else int(last) + 1)
    if out["test"][1] > n_frames:
        raise TlbenchError(f"{YORK_SCENES[scene]}/input.avi has {n_frames} frames but the protocol tests up to frame "
                           f"{out['test'][1] - 1}: check profiles.{params.profile}.york_protocol.{scene}")
    return out


def inspect(params, root: Path) -> list[tuple[str, dict, dict]]:
    rows = []
    for name in YORK_SCENES:
        scene = load_york(root, name)
        proto = protocol(params, name, scene.n_frames)
        scene.anomalous(proto["test"][0], proto["test"][0] + 1)  # GT readable and sized
        rows.append((f"york_{name}", {"frames": scene.n_frames}, {}))  # the protocol's range is checked
    return rows


def scene_splits(params, name: str, stride: int | None = None) -> dict[str, dict]:
    """For each split: the frames, their anomaly labels and clip ids (one clip per split); training frames
    every `stride` (anomaly.train_stride unless given)."""
    from .sources import VideoFrames

    scene = load_york(params.dataset_root("york"), name)
    proto = protocol(params, name, scene.n_frames)
    train = range(proto["train"][0], min(proto["train"][1], scene.n_frames),
                  stride or params.model.anomaly.train_stride)
    test = range(*proto["test"])
    return {
        "train": {"source": VideoFrames(scene.video, train), "labels": np.zeros(len(train), bool),
                  "groups": np.zeros(len(train), int)},
        "test": {"source": VideoFrames(scene.video, test), "labels": scene.anomalous(*proto["test"]),
                 "groups": np.zeros(len(test), int)},
    }


DATASETS.implement("york", inspect)
for _name in YORK_SCENES:
    SCENES.implement(_name, scene_splits)
