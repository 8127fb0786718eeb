"""Synthetic twins of the video anomaly scenes, in the official layouts.

UCSD-like: grayscale walkways with pedestrians at walking speed; anomalous test clips add faster or
larger objects (bikes, carts) over the frame ranges their `.m` file marks, with pixel masks. The
Ped1 and Ped2 twins differ in perspective and resolution (238x158 vs 360x240), as the real ones do.
York-like: colour traffic video (`input.avi`, MJPG) with one GT mask per frame."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter
from tqdm import tqdm

from ..ucsd import UCSD_SCENES
from ..york import YORK_SCENES


@dataclass
class Mover:
    y: float
    x: float
    vy: float
    vx: float
    h: float  # height at the reference depth
    w: float
    shade: float
    kind: str = "person"


def _texture(rng, h, w, sigma, amp):
    f = gaussian_filter(rng.standard_normal((h, w)), sigma)
    return amp * f / (f.std() + 1e-12)


def _scale(y: float, height: int, perspective: float) -> float:
    """Objects grow towards the bottom of the frame by `perspective` (Ped1 strong, Ped2 mild)."""
    return 1 + perspective * (y / height - 0.5)


def _draw(frame: np.ndarray, mask: np.ndarray | None, m: Mover, perspective: float) -> None:
    h, w = frame.shape
    s = _scale(m.y, h, perspective)
    hh, ww = m.h * s, m.w * s
    y0, y1 = int(max(m.y - hh / 2, 0)), int(min(m.y + hh / 2, h))
    x0, x1 = int(max(m.x - ww / 2, 0)), int(min(m.x + ww / 2, w))
    if y1 <= y0 or x1 <= x0:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    if m.kind == "cart":
        shape = np.ones_like(yy, dtype=bool)
    else:
        shape = ((yy - m.y) / (hh / 2)) ** 2 + ((xx - m.x) / (ww / 2)) ** 2 < 1
        if m.kind == "bike":  # two wheels under a rider
            for dx in (-ww / 3, ww / 3):
                shape |= np.hypot(yy - (m.y + hh / 3), xx - (m.x + dx)) < ww / 4
    frame[y0:y1, x0:x1][shape] = m.shade
    if mask is not None:
        mask[y0:y1, x0:x1][shape] = 255


def _walkers(rng, n, h, w, speed) -> list[Mover]:
    out = []
    for _ in range(n):
        direction = rng.choice([-1, 1])
        out.append(Mover(rng.uniform(0.15, 0.9) * h, rng.uniform(0, w), rng.normal(0, 0.15) * speed,
                         direction * speed * rng.uniform(0.7, 1.3), h * 0.12, h * 0.05, rng.uniform(20, 90)))
    return out


def _step(movers: list[Mover], h: int, w: int) -> None:
    for m in movers:
        m.y, m.x = m.y + m.vy, m.x + m.vx
        if m.x < -20:
            m.x += w + 40
        elif m.x > w + 20:
            m.x -= w + 40
        m.y = float(np.clip(m.y, 0.1 * h, 0.95 * h))


def ucsd_clip(rng, size, n_frames, perspective, anomaly=None):
    """Frames (uint8) and anomaly masks of one clip; `anomaly` = (kind, first, last) 0-based inclusive."""
    w, h = size
    background = 150 + _texture(rng, h, w, 2, 12) + np.linspace(-25, 25, h)[:, None]
    background[: int(0.12 * h)] = 90 + _texture(rng, int(0.12 * h), w, 3, 10)  # grass strip
    walkers = _walkers(rng, rng.integers(4, 9), h, w, speed=w / 240)
    odd = None
    if anomaly:
        kind, first, last = anomaly
        speed = w / 60 if kind == "bike" else w / 150
        odd = Mover(rng.uniform(0.4, 0.85) * h, 0.0, 0.0, speed, h * (0.16 if kind == "bike" else 0.2),
                    h * (0.12 if kind == "bike" else 0.28), rng.uniform(10, 40), kind)
    frames, masks = [], []
    for t in range(n_frames):
        frame = background + rng.normal(0, 3, (h, w))
        mask = np.zeros((h, w), dtype=np.uint8)
        for m in walkers:
            _draw(frame, None, m, perspective)
        if odd is not None and first <= t <= last:
            odd.x = 0.1 * w + ((t - first) * odd.vx) % (0.8 * w)  # in view on every marked frame
            _draw(frame, mask, odd, perspective)
        _step(walkers, h, w)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
        masks.append(mask)
    return frames, masks


def write_ucsd(root: Path, seed: int, train_clips: int, test_clips: int, frames_per_clip: int) -> Path:
    """`UCSDpedX/Train/TrainNNN/NNN.tif`, `UCSDpedX/Test/TestNNN/NNN.tif`, `Test/UCSDpedX.m`, masks in
    `Test/TestNNN_gt/` (Ped1: only every other clip; Ped2: all, clip 2's named `frameNNN.bmp`)."""
    for s, (scene, (folder, size, _, _)) in enumerate(UCSD_SCENES.items()):
        perspective = 1.2 if scene == "ped1" else 0.3
        base = root / folder
        gt_lines = ["TestVideoFile = {};"]
        jobs = [("Train", k) for k in range(1, train_clips + 1)] + [("Test", k) for k in range(1, test_clips + 1)]
        for split, k in tqdm(jobs, desc=f"demo UCSD {scene}", unit="clip", disable=None):
            rng = np.random.default_rng([seed, 6, s, split == "Test", k])
            anomaly = None
            if split == "Test":
                first = int(rng.integers(0, frames_per_clip // 2))
                last = int(rng.integers(first + frames_per_clip // 4, frames_per_clip))
                anomaly = ("bike" if k % 2 else "cart", first, last)
                gt_lines.append(f"TestVideoFile{{end+1}}.gt_frame = [{first + 1}:{last + 1}];")
            frames, masks = ucsd_clip(rng, size, frames_per_clip, perspective, anomaly)
            clip = base / split / f"{split}{k:03d}"
            clip.mkdir(parents=True)
            for t, f in enumerate(frames, start=1):
                Image.fromarray(f).save(clip / f"{t:03d}.tif", compression="tiff_lzw")
            if split == "Test" and (scene == "ped2" or k % 2):
                gt = base / "Test" / f"Test{k:03d}_gt"
                gt.mkdir()
                prefix = "frame" if scene == "ped2" and k == 2 else ""
                for t, m in enumerate(masks, start=1):
                    Image.fromarray(m).save(gt / f"{prefix}{t:03d}.bmp")
        (base / "Test" / f"{folder}.m").write_text("\n".join(gt_lines) + "\n")
    return root


def _york_background(scene: str, rng, h: int, w: int) -> np.ndarray:
    bg = np.empty((h, w, 3))
    if scene == "belleview":
        bg[:] = (70, 120, 60)
        bg[int(0.35 * h):int(0.75 * h)] = (95, 95, 100)
        bg[int(0.55 * h) - 1:int(0.55 * h) + 1, ::16] = (230, 230, 230)
    else:
        bg[:] = (150, 140, 120)
        for x in range(0, w, 40):
            bg[int(0.5 * h):, x:x + 25] = (60, 60, 140)  # seats
    return bg + _texture(rng, h, w, 3, 8)[..., None]


def _york_movers(scene: str, rng, h: int, w: int) -> list[list]:
    """[y, x, speed, colour, 0] of the normal traffic: cars in two lanes, or seated passengers."""
    movers = []
    for _ in range(6):
        if scene == "belleview":
            lane = rng.choice([0.45, 0.65])
            movers.append([lane * h, rng.uniform(0, w), (1 if lane < 0.55 else -1) * rng.uniform(2, 4),
                           rng.uniform(0, 255, 3), 0])
        else:
            movers.append([rng.uniform(0.45, 0.7) * h, rng.uniform(0, w), 0.0, rng.uniform(0, 255, 3), 0])
    return movers


def _york_frame(scene: str, t: int, bg, movers, anomalies, rng) -> tuple[np.ndarray, np.ndarray]:
    """Frame t (uint8 RGB) and its GT mask; moves the movers one step."""
    h, w = bg.shape[:2]
    frame, mask = bg.copy(), np.zeros((h, w), dtype=np.uint8)
    jitter = rng.normal(0, 1.0, 2) if scene == "train" else (0, 0)
    for m in movers:
        m[1] = (m[1] + m[2]) % (w + 40)
        y, x = int(m[0] + jitter[0]), int(m[1] - 20 + jitter[1])
        hh, ww = (12, 30) if scene == "belleview" else (30, 14)
        frame[max(y - hh // 2, 0):y + hh // 2, max(x - ww // 2, 0):max(x + ww // 2, 0)] = m[3]
    for first, last in anomalies:
        if first <= t <= last:
            p = (t - first) / max(last - first, 1)
            if scene == "belleview":  # a car crossing the lanes
                y, x, hh, ww = int((0.25 + 0.6 * p) * h), int(0.5 * w), 28, 14
            else:  # a passenger walking down the aisle
                y, x, hh, ww = int(0.4 * h), int(p * w), 40, 16
            sl = (slice(max(y - hh // 2, 0), y + hh // 2), slice(max(x - ww // 2, 0), x + ww // 2))
            frame[sl] = (200, 40, 40)
            mask[sl] = 255
    return np.clip(frame + rng.normal(0, 2, (h, w, 1)), 0, 255).astype(np.uint8), mask


def write_york(root: Path, seed: int, n_frames: int, anomalies: dict[str, list[tuple[int, int]]],
               size: tuple[int, int] = (320, 240), fps: int = 10) -> Path:
    """`Traffic-Belleview/input.avi` + `GT/gt-NNNNN.png` (and the same for `Traffic-Train/`).

    Belleview twin: cars drive straight along two lanes; anomalies are cars crossing the lanes.
    Train twin: a shaking in-car view with seated passengers; anomalies are passengers walking."""
    import cv2

    w, h = size
    for s, (scene, folder) in enumerate(YORK_SCENES.items()):
        rng = np.random.default_rng([seed, 7, s])
        out = root / folder
        (out / "GT").mkdir(parents=True)
        bg = _york_background(scene, rng, h, w)
        movers = _york_movers(scene, rng, h, w)
        writer = cv2.VideoWriter(str(out / "input.avi"), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
        if not writer.isOpened():
            raise RuntimeError("OpenCV cannot write MJPG AVI files here")
        for t in tqdm(range(n_frames), desc=f"demo York {scene}", unit="frame", disable=None):
            frame, mask = _york_frame(scene, t, bg, movers, anomalies[scene], rng)
            writer.write(np.ascontiguousarray(frame[:, :, ::-1]))
            Image.fromarray(mask).save(out / "GT" / f"gt-{t:05d}.png")
        writer.release()
    return root
