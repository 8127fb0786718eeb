"""Smoothing of frame scores within clips."""
from __future__ import annotations

import numpy as np


def smooth_scores(scores: np.ndarray, groups: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average of the scores within each clip (`groups`); window 1 = no smoothing."""
    if window <= 1:
        return scores
    out = np.empty_like(scores, dtype=np.float64)
    kernel = np.ones(window) / window
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        padded = np.pad(scores[idx], (window // 2, window - 1 - window // 2), mode="edge")
        out[idx] = np.convolve(padded, kernel, mode="valid")
    return out
