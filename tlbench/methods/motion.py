"""Motion descriptor of a frame: dense optical flow from the previous frame (OpenCV's Farneback), and per
cell of `cell` x `cell` pixels a histogram of flow orientations weighted by magnitude plus the cell's
largest magnitude (or more magnitude statistics, and an average over a few frames: options). What a walker
and a cyclist share in appearance they do not share here.

Every per-pixel step is vectorised (one `bincount` for all cells' histograms, one reshape-max for the
maxima); a Python loop over cells ran at 34 frames/s on 360 x 240 frames."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import TlbenchError


@dataclass(frozen=True)
class Farneback:
    """cv2.calcOpticalFlowFarneback's parameters (OpenCV's documented example values)."""
    pyr_scale: float = 0.5
    levels: int = 3
    winsize: int = 15
    iterations: int = 3
    poly_n: int = 5
    poly_sigma: float = 1.2

    def flow(self, previous: np.ndarray, frame: np.ndarray) -> np.ndarray:
        import cv2

        return cv2.calcOpticalFlowFarneback(previous, frame, None, self.pyr_scale, self.levels, self.winsize,
                                            self.iterations, self.poly_n, self.poly_sigma, 0)


def cell_grid(shape: tuple[int, int], cell: int) -> tuple[int, int]:
    rows, cols = shape[0] // cell, shape[1] // cell
    if rows == 0 or cols == 0:
        raise TlbenchError(f"cells of {cell} pixels do not fit frames of {shape[1]}x{shape[0]} (after the flow's "
                           f"scale): use a cell no larger than the frame")
    return rows, cols


MAGNITUDE_STATS = ("mean", "std", "max", "p90")  # per cell, after the orientation histogram


def flow_histograms(flow: np.ndarray, cell: int, bins: int, magnitude: tuple[str, ...] = ("max",)) -> np.ndarray:
    """(cells, bins + len(magnitude)) float32: per cell (row-major), the orientation histogram weighted by
    magnitude, divided by the cell's pixel count (mean flow per bin, pixels/frame), then the cell's magnitude
    statistics (default: the largest). Pixels beyond the last whole cell are left out."""
    import cv2

    unknown = set(magnitude) - set(MAGNITUDE_STATS)
    if unknown or not magnitude:
        raise TlbenchError(f"magnitude statistics {sorted(unknown) or '[]'}: use some of {', '.join(MAGNITUDE_STATS)} "
                           f"(anomaly.motion.magnitude)")
    rows, cols = cell_grid(flow.shape[:2], cell)
    flow = flow[:rows * cell, :cols * cell]
    magnitude_map, angle = cv2.cartToPolar(flow[..., 0], flow[..., 1])  # angle in radians, [0, 2 pi)
    bin_of = np.minimum((angle * (bins / (2 * np.pi))).astype(np.int64), bins - 1)
    cell_of = (np.arange(rows * cell)[:, None] // cell) * cols + np.arange(cols * cell)[None, :] // cell
    hist = np.bincount((cell_of * bins + bin_of).ravel(), weights=magnitude_map.ravel(), minlength=rows * cols * bins)
    per_cell = magnitude_map.reshape(rows, cell, cols, cell).transpose(0, 2, 1, 3).reshape(rows * cols, cell * cell)
    stats = [_statistic(per_cell, name) for name in magnitude]
    return np.hstack([hist.reshape(rows * cols, bins) / (cell * cell), *stats]).astype(np.float32)


def _statistic(per_cell: np.ndarray, name: str) -> np.ndarray:
    """(cells, 1): one magnitude statistic of each cell's pixels."""
    if name == "max":
        return per_cell.max(axis=1, keepdims=True)
    if name == "p90":
        return np.percentile(per_cell, 90, axis=1, keepdims=True)
    return getattr(per_cell, name)(axis=1, keepdims=True)


def accumulate(descriptors: np.ndarray, frames: int) -> np.ndarray:
    """Each frame's descriptor averaged with those of the `frames - 1` before it in the clip (fewer at the
    clip's start): motion over a few frames, steadier than one frame's flow."""
    if frames == 1:
        return descriptors
    totals = np.cumsum(descriptors, axis=0, dtype=np.float64)
    ahead = np.concatenate([np.zeros_like(totals[:frames]), totals[:-frames]])[:len(totals)]
    counts = np.minimum(np.arange(1, len(totals) + 1), frames).reshape(-1, *([1] * (descriptors.ndim - 1)))
    return ((totals - ahead) / counts).astype(np.float32)


def _scaled(frame: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    if scale == 1:
        return frame
    size = (round(frame.shape[1] * scale), round(frame.shape[0] * scale))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def clip_motion(frames: Iterable[np.ndarray], cell: int = 24, bins: int = 8,
                farneback: Farneback = Farneback(), scale: float = 0.5, magnitude: tuple[str, ...] = ("max",),
                frames_accumulated: int = 1) -> np.ndarray:
    """(frames, cells, bins + len(magnitude)) for one clip of grayscale uint8 frames, decoded in order. Frame t
    has the flow from frame t - 1; the first frame, which has no predecessor, has the flow to frame 1 (a zero
    flow scored every clip's first frame as still, and smoothing then damped the first frames of a clip
    that is anomalous from its start); a one-frame clip has zero flow. The flow is computed on frames
    resized by `scale` (0.5: ~5 ms per 360 x 240 frame on 2 cores, 1: full resolution, ~30 ms) and given
    in pixels of the full frame; `cell` is in full-frame pixels too. `frames_accumulated` > 1 averages
    each frame's descriptor over that many frames (`accumulate`)."""
    small_cell = cell * scale
    if small_cell < 1 or small_cell != int(small_cell):
        raise TlbenchError(f"anomaly.motion.cell {cell} times scale {scale} must be a whole number of pixels")
    out, previous = [], None
    for frame in frames:
        frame = np.ascontiguousarray(frame)
        if frame.ndim != 2 or frame.dtype != np.uint8:
            raise TlbenchError(f"motion needs grayscale uint8 frames, got {frame.dtype} of shape {frame.shape}")
        small = _scaled(frame, scale)
        if previous is not None and previous.shape != small.shape:
            raise TlbenchError(f"a clip changes frame size to {frame.shape[1]}x{frame.shape[0]} pixels mid-clip")
        flow = np.zeros(small.shape + (2,), np.float32) if previous is None else farneback.flow(previous, small) / scale
        out.append(flow_histograms(flow, int(small_cell), bins, magnitude))
        previous = small
    if not out:
        raise TlbenchError("a clip without frames: nothing to describe")
    if len(out) > 1:
        out[0] = out[1]  # the flow between frames 0 and 1 describes both
    return accumulate(np.stack(out), frames_accumulated)


def describe(farneback: Farneback, cell: int, bins: int, magnitude: tuple[str, ...] = ("max",),
             frames_accumulated: int = 1) -> str:
    values = ", ".join(f"{k} {v}" for k, v in asdict(farneback).items())
    stats = "the cell's largest magnitude" if tuple(magnitude) == ("max",) else \
        "the cell's magnitude " + ", ".join({"p90": "90th percentile", "std": "std"}.get(m, m) for m in magnitude)
    over = "" if frames_accumulated == 1 else f"; each frame's descriptor averaged over {frames_accumulated} frames"
    return (f"Farneback optical flow ({values}); per {cell}x{cell}-pixel cell a histogram of {bins} flow orientations "
            f"weighted by magnitude, plus {stats}{over}")
