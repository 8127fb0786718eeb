"""Stage anomaly_motion@SCENE: the motion descriptor of every training and test frame of a scene
(anomaly.motion; for anomaly.beyond's motion variants). Frames are decoded in order, clip by clip, so
each frame's flow is from the frame before it in the video, also when anomaly.train_stride keeps only
every n-th training frame (the kept frames are selected after the flow)."""
from __future__ import annotations

import numpy as np

from ... import paths
from ...data import ucsd, york  # noqa: F401 (each registers its scenes' loaders)
from ...data.registry import SCENES
from ...errors import TlbenchError
from ...io import atomic_dir, library_versions, write_json
from ...params import Params
from ..stage import main


def gray_frames(source, indices: np.ndarray, size: tuple[int, int]):
    """Grayscale uint8 frames of `source` (paths or a frame source) at `indices`, resized to `size` (w, h)."""
    import cv2

    from ...data.sources import PathSource

    source = source if hasattr(source, "image") else PathSource(source)
    for i in indices:
        frame = np.asarray(source.image(int(i)).convert("L"))
        yield (
            frame if frame.shape[::-1] == tuple(size) else cv2.resize(frame, tuple(size), interpolation=cv2.INTER_AREA)
        )


def clips_of(groups: np.ndarray) -> list[np.ndarray]:
    """The frame positions of each clip, in order; a clip's frames must be contiguous and in time order."""
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    clips = np.split(np.arange(len(groups)), starts[1:])
    if len({int(groups[c[0]]) for c in clips}) != len(clips):
        raise TlbenchError("a clip's frames are not contiguous in the split: the scene loader must list them in order")
    return clips


def kept(groups: np.ndarray, stride: int) -> np.ndarray:
    """Every `stride`-th frame of each clip from its first: the frames the extraction kept."""
    return np.concatenate([c[::stride] for c in clips_of(groups)])


def split_motion(params: Params, data: dict, desc: str, progress: bool) -> np.ndarray:
    """(frames, cells, bins + 1) of one split, every frame, clip by clip."""
    from tqdm import tqdm

    from ...methods.motion import Farneback, clip_motion

    m = params.model.anomaly.motion
    farneback = Farneback(**m.farneback.model_dump())
    out = []
    with tqdm(total=len(data["groups"]), desc=desc, unit="frame", disable=not progress or None, mininterval=1.0) as bar:
        for clip in clips_of(data["groups"]):
            frames = gray_frames(data["source"], clip, m.size)
            out.append(clip_motion(frames, cell=m.cell, bins=m.bins, farneback=farneback, scale=m.scale,
                                   magnitude=tuple(m.magnitude), frames_accumulated=m.accumulate))
            bar.update(len(clip))
    return np.concatenate(out)


def meta(params: Params, scene: str, split: str, motion: np.ndarray) -> dict:
    from ...methods.motion import Farneback, cell_grid, describe

    m = params.model.anomaly.motion
    grid = cell_grid((round(m.size[1] * m.scale), round(m.size[0] * m.scale)), int(m.cell * m.scale))
    return {
        "scene": scene,
        "split": split,
        "n_frames": len(motion),
        "grid": list(grid),
        "dims": motion.shape[2],
        "size": list(m.size),
        "scale": m.scale,
        "description": f"frames resized to {m.size[0]}x{m.size[1]}, flow at scale {m.scale}; "
        + describe(Farneback(**m.farneback.model_dump()), m.cell, m.bins, tuple(m.magnitude), m.accumulate),
        "versions": library_versions(),
    }


def run(params: Params, scene: str, progress: bool = True) -> str:
    SCENES[scene]  # an unknown name fails here, with the valid ones
    splits = SCENES.impl(scene)(params, scene, stride=1)
    stride, frames = params.model.anomaly.train_stride, 0
    with atomic_dir(params.resolve_path(paths.ANOMALY_MOTION / scene)) as tmp:
        for split, data in splits.items():
            motion = split_motion(params, data, f"motion {scene} {split}", progress)
            keep = kept(data["groups"], stride if split == "train" else 1)
            (tmp / split).mkdir()
            np.save(tmp / split / "motion.npy", motion[keep])
            np.save(tmp / split / "labels.npy", data["labels"][keep])
            np.save(tmp / split / "groups.npy", data["groups"][keep])
            write_json(tmp / split / "meta.json", meta(params, scene, split, motion[keep]))
            frames += len(motion)
            print(f"{scene} {split}: motion of {len(keep)} frames, {motion.shape[1]} cells of {motion.shape[2]} values")
    return f"{frames} frames"


if __name__ == "__main__":
    raise SystemExit(main(run))
