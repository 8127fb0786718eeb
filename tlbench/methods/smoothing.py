"""Smoothing of frame scores within clips, and the fusion of several detectors' scores."""
from __future__ import annotations

import numpy as np

from ..errors import TlbenchError

SMOOTHERS = ("mean", "gaussian", "median")


def _window_values(values: np.ndarray, window: int) -> np.ndarray:
    """(n, window): each frame's centred window, the clip's ends repeated (edge padding)."""
    padded = np.pad(values, (window // 2, window - 1 - window // 2), mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, window)


def smooth_scores(scores: np.ndarray, groups: np.ndarray, window: int, kind: str = "mean") -> np.ndarray:
    """Centred smoothing of the scores within each clip (`groups`), never across clips; window 1 = none.
    kind: `mean` (moving average), `gaussian` (weights exp(-t^2 / 2 sigma^2), sigma = window / 4, so the
    window spans +-2 sigma) or `median` (robust to single-frame spikes)."""
    if kind not in SMOOTHERS:
        raise TlbenchError(f"smoothing {kind!r} is unknown: use one of {', '.join(SMOOTHERS)}")
    if window % 2 == 0:
        raise TlbenchError(f"a smoothing window of {window} frames has no middle frame: use an odd window")
    if window <= 1:
        return scores
    out = np.empty_like(scores, dtype=np.float64)
    offsets = np.arange(window) - window // 2
    weights = np.exp(-offsets**2 / (2 * (window / 4) ** 2)) if kind == "gaussian" else np.ones(window)
    weights = weights / weights.sum()
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        windows = _window_values(np.asarray(scores, dtype=np.float64)[idx], window)
        out[idx] = np.median(windows, axis=1) if kind == "median" else windows @ weights
    return out


def standardiser(held_out_normal: np.ndarray) -> tuple[float, float]:
    """Mean and std of a detector's scores on held-out normal training frames (never test frames)."""
    held_out_normal = np.asarray(held_out_normal, dtype=np.float64)
    if len(held_out_normal) < 2:
        raise TlbenchError("score fusion needs at least 2 held-out normal frames to standardise scores")
    std = float(held_out_normal.std(ddof=1))
    return float(held_out_normal.mean()), std if std > 0 else 1.0


def fuse_scores(scores: dict[str, np.ndarray], held_out: dict[str, np.ndarray],
                weights: dict[str, float] | None = None) -> np.ndarray:
    """Weighted sum of each detector's scores, each standardised with the mean and std of its scores on
    held-out normal training frames, so that no detector dominates by its scale alone."""
    if set(scores) != set(held_out):
        raise TlbenchError(f"score fusion: scores for {sorted(scores)} but held-out scores for {sorted(held_out)}")
    weights = weights or {name: 1.0 for name in scores}
    total = None
    for name in sorted(scores):
        mean, std = standardiser(held_out[name])
        part = weights[name] * (np.asarray(scores[name], dtype=np.float64) - mean) / std
        total = part if total is None else total + part
    return total
