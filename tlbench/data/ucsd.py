"""UCSD Ped1/Ped2 (Mahadevan et al. 2010): the official v1p2 layout and the re-encoded
`pedX/training/frames` one.

Frames are read lazily, one at a time; only file lists and frame labels are held in memory."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import TlbenchError
from .images import visible
from .registry import DATASETS, SCENES, UCSD_URL

UCSD_SCENES = {
    # scene: (folder, frame size (w, h), train clips, test clips, frames per clip or None)
    "ped1": ("UCSDped1", (238, 158), 34, 36),
    "ped2": ("UCSDped2", (360, 240), 16, 12),
}
def parse_ucsd_m(path: Path) -> list[np.ndarray]:
    """`Test/UCSDpedX.m`: one `TestVideoFile{end+1}.gt_frame = [a:b, c:d];` line per test clip, in
    order; returns the 1-based inclusive ranges as 0-based frame index arrays."""
    path = Path(path)
    if not path.is_file():
        raise TlbenchError(f"{path} not found: it is the frame-level ground truth of the UCSD archive ({UCSD_URL})")
    clips = []
    for lineno, line in enumerate(path.read_text(encoding="latin-1").splitlines(), start=1):
        m = re.match(r"\s*TestVideoFile\{end\+1\}\.gt_frame\s*=\s*\[(.*)\];?\s*$", line)
        if not m:
            continue
        frames = []
        for part in m.group(1).split(","):
            r = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", part)
            if not r or int(r.group(1)) < 1 or int(r.group(2)) < int(r.group(1)):
                raise TlbenchError(
                    f"{path} line {lineno}: cannot read the range {part.strip()!r} (expected a:b, 1-based)"
                )
            frames.extend(range(int(r.group(1)) - 1, int(r.group(2))))
        clips.append(np.array(frames, dtype=np.int64))
    if not clips:
        raise TlbenchError(f"{path} has no `TestVideoFile{{end+1}}.gt_frame = [...]` lines: is it UCSDpedX.m?")
    return clips


@dataclass
class Clip:
    name: str
    split: str  # "train" | "test"
    frames: list[Path]
    anomalous: np.ndarray | None = None  # bool per frame (test clips)
    masks: list[Path] | None = None  # pixel masks, aligned with frames, where the dataset has them

    def __len__(self) -> int:
        return len(self.frames)


@dataclass
class FrameScene:
    """A scene stored as image files per frame (UCSD)."""

    name: str
    root: Path
    layout: str
    clips: list[Clip] = field(default_factory=list)

    def split(self, split: str) -> list[Clip]:
        return [c for c in self.clips if c.split == split]

    def counts(self) -> dict[str, int]:
        return {"train clips": len(self.split("train")), "test clips": len(self.split("test")),
                "train frames": sum(map(len, self.split("train"))), "test frames": sum(map(len, self.split("test")))}


def _clip_number(name: str) -> int:
    m = re.search(r"(\d+)$", name)
    return int(m.group(1)) if m else -1


def _frame_number(path: Path) -> int:
    m = re.search(r"(\d+)\.\w+$", path.name)
    return int(m.group(1)) if m else -1


def _check_gt(clip: Clip, gt: np.ndarray, source: Path) -> None:
    if len(gt) and gt.max() >= len(clip):
        raise TlbenchError(
            f"{source}: ground truth of {clip.name} marks frame {gt.max() + 1} but the clip has {len(clip)} frames: "
            f"the clip folder is incomplete or the ground truth belongs to another release; re-extract the archive"
        )


def load_ucsd(root: str | Path, scene: str) -> FrameScene:
    """UCSD Ped1/Ped2 from the official v1p2 layout or the re-encoded `pedX/training/frames` one."""
    if scene not in UCSD_SCENES:
        raise TlbenchError(f"unknown UCSD scene {scene!r}: use ped1 or ped2")
    root = Path(root)
    folder = UCSD_SCENES[scene][0]
    if (root / folder).is_dir():
        return _load_ucsd_official(root / folder, scene)
    if (root / scene / "training" / "frames").is_dir():
        return _load_ucsd_reencoded(root / scene, scene)
    raise TlbenchError(
        f"UCSD {scene} not found under {root}: expected {root / folder}/Train/Train001/001.tif (official archive, "
        f"`tlbench data fetch ucsd`) or {root / scene}/training/frames/01/000.jpg (re-encoded layout)"
    )


def _frames_of(folder: Path, pattern: str) -> list[Path]:
    frames = visible(folder.glob(pattern))
    if not frames:
        raise TlbenchError(f"{folder} holds no {pattern} frames: re-extract the archive")
    return sorted(frames, key=_frame_number)


def _load_ucsd_official(base: Path, scene: str) -> FrameScene:
    out = FrameScene(scene, base, "official")
    for split, sub in (("train", "Train"), ("test", "Test")):
        d = base / sub
        if not d.is_dir():
            raise TlbenchError(f"{d} not found: the UCSD archive has {base.name}/Train and {base.name}/Test")
        for clip_dir in visible(d.glob(f"{sub}[0-9][0-9][0-9]")):
            if clip_dir.is_dir():
                out.clips.append(Clip(clip_dir.name, split, _frames_of(clip_dir, "*.tif")))
    gt_file = base / "Test" / f"{base.name}.m"
    gt = parse_ucsd_m(gt_file)
    for clip in out.split("test"):
        k = _clip_number(clip.name)
        if k < 1 or k > len(gt):
            raise TlbenchError(
                f"{gt_file} has {len(gt)} clips but the folder {clip.name} exists: use the matching .m file"
            )
        _check_gt(clip, gt[k - 1], gt_file)
        clip.anomalous = np.zeros(len(clip), dtype=bool)
        clip.anomalous[gt[k - 1]] = True
        mask_dir = base / "Test" / f"{clip.name}_gt"
        if mask_dir.is_dir():
            masks = sorted(visible(mask_dir.glob("*.bmp")), key=_frame_number)  # 001.bmp or frame001.bmp
            if len(masks) != len(clip):
                raise TlbenchError(f"{mask_dir} has {len(masks)} masks for {len(clip)} frames: re-extract the archive")
            clip.masks = masks
    return out


def _load_ucsd_reencoded(base: Path, scene: str) -> FrameScene:
    from scipy.io import loadmat

    out = FrameScene(scene, base, "reencoded")
    for split, sub in (("train", "training"), ("test", "testing")):
        d = base / sub / "frames"
        if not d.is_dir():
            raise TlbenchError(
                f"{d} not found: the re-encoded layout has {scene}/training/frames and {scene}/testing/frames"
            )
        for clip_dir in visible(d.iterdir()):
            if clip_dir.is_dir():
                out.clips.append(Clip(f"{sub}/{clip_dir.name}", split, _frames_of(clip_dir, "*.jpg")))
    mat = base / f"{scene}.mat"
    if not mat.is_file():
        raise TlbenchError(f"{mat} not found: the re-encoded layout keeps the frame ground truth there")
    try:
        cells = loadmat(mat)["gt"].ravel()
    except Exception as exc:
        raise TlbenchError(
            f"cannot read `gt` from {mat} ({type(exc).__name__}: {exc}): expected a 1xN cell of [start; end]"
        ) from None
    tests = out.split("test")
    if len(cells) != len(tests):
        raise TlbenchError(f"{mat} has ground truth for {len(cells)} clips, {base / 'testing/frames'} has {len(tests)}")
    for clip, cell in zip(tests, cells):
        pairs = np.asarray(cell, dtype=np.int64).reshape(2, -1)
        gt = np.concatenate([np.arange(s - 1, e) for s, e in pairs.T])
        _check_gt(clip, gt, mat)
        clip.anomalous = np.zeros(len(clip), dtype=bool)
        clip.anomalous[gt] = True
    return out


def read_gray(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("L"))
    except (OSError, SyntaxError, ValueError) as exc:
        raise TlbenchError(
            f"{path} cannot be decoded ({exc}): replace it with an intact copy from the archive"
        ) from None


def check_masks(clip: Clip) -> None:
    """Every pixel mask must have its frame's size."""
    if not clip.masks:
        return
    size = read_gray(clip.frames[0]).shape
    for mask in clip.masks:
        with Image.open(mask) as im:
            if im.size[::-1] != size:
                raise TlbenchError(f"{mask} is {im.size[0]}x{im.size[1]} but the frames of {clip.name} are "
                                   f"{size[1]}x{size[0]}: the mask belongs to another clip; re-extract the archive")


def inspect(params, root: Path) -> list[tuple[str, dict, dict]]:
    rows = []
    for name, (_, _, n_train, n_test) in UCSD_SCENES.items():
        scene = load_ucsd(root, name)
        for clip in scene.split("test"):
            check_masks(clip)
        found = {k: v for k, v in scene.counts().items() if k.endswith("clips")}
        rows.append((f"ucsd_{name}", found, {"train clips": n_train, "test clips": n_test}))
    return rows


def scene_splits(params, name: str, stride: int | None = None) -> dict[str, dict]:
    """For each split: the frame files, per-frame anomaly labels and clip ids; training frames every
    `stride` (anomaly.train_stride unless given)."""
    scene = load_ucsd(params.dataset_root("ucsd"), name)
    stride = stride or params.model.anomaly.train_stride
    out = {}
    for split in ("train", "test"):
        clips = scene.split(split)
        if not clips:
            raise TlbenchError(f"{scene.root}: no {split} clips found: re-extract the archive")
        step = stride if split == "train" else 1
        frames, labels, groups = [], [], []
        for c, clip in enumerate(clips):
            kept = clip.frames[::step]
            frames += kept
            labels += list(np.zeros(len(clip), bool)[::step] if clip.anomalous is None else clip.anomalous[::step])
            groups += [c] * len(kept)
        out[split] = {"source": frames, "labels": np.array(labels), "groups": np.array(groups)}
    return out


DATASETS.implement("ucsd", inspect)
for _name in UCSD_SCENES:
    SCENES.implement(_name, scene_splits)
