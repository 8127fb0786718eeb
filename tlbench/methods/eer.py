"""The equal error rate of anomaly scores (measure `eer`)."""
from __future__ import annotations

import numpy as np

from ..errors import TlbenchError
from .registry import MEASURES


def roc_points(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, TPR) at every distinct threshold, from the strictest (0, 0) down: sklearn's
    `roc_curve(drop_intermediate=False)` to the bit, without its input validation, which cost 4 ms per call
    (the leave-one-scene-out selection scores thousands of variants)."""
    order = np.argsort(scores, kind="stable")[::-1]
    ranked = scores[order]
    last_of_each_value = np.r_[np.flatnonzero(np.diff(ranked)), len(ranked) - 1]
    tps = np.r_[0.0, np.cumsum(labels[order], dtype=np.float64)[last_of_each_value]]
    fps = np.r_[0.0, 1.0 + last_of_each_value - tps[1:]]
    return fps / fps[-1], tps / tps[-1]


def _two_of_minus_one_zero_one(values: np.ndarray) -> bool:
    """Exactly two distinct values, both among -1, 0 and 1 (the cheap test first: it runs on every call)."""
    return bool(np.all((values == -1) | (values == 0) | (values == 1))) and len(np.unique(values)) == 2


def eer(labels: np.ndarray, scores: np.ndarray) -> float:
    """Equal error rate of anomaly `scores` (higher = more anomalous) against binary `labels`.

    Computed on the full ROC (`drop_intermediate=False`, tied scores form one point) with linear
    interpolation between the two points where FPR - FNR changes sign. Constant scores (a detector
    that sees every target frame alike) give the chance level, 0.5."""
    labels, raw = np.asarray(labels).astype(bool).ravel(), np.asarray(scores).ravel()
    if labels.shape != raw.shape:
        raise TlbenchError(f"EER: {len(labels)} labels for {len(raw)} scores")
    if labels.all() or not labels.any():
        raise TlbenchError("EER is undefined: the ground truth has only "
                           f"{'anomalous' if labels.any() else 'normal'} frames; the test range needs both")
    if not np.isfinite(raw).all():
        raise TlbenchError("EER: the scores contain NaN or inf")
    if raw.dtype.kind in "bui" or _two_of_minus_one_zero_one(raw):
        raise TlbenchError("EER needs continuous scores, these look like hard labels (two values among -1, 0, 1 or "
                           "an integer type): use the detector's score, not its prediction")
    scores = raw.astype(np.float64)
    fpr, tpr = roc_points(labels, scores)
    fnr = 1 - tpr
    diff = fnr - fpr  # from 1 (threshold above every score) down to -1
    i = int(np.argmax(diff <= 0))
    if diff[i] == 0:
        return float(fpr[i])
    t = diff[i - 1] / (diff[i - 1] - diff[i])
    return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))


MEASURES.implement("eer", lambda labels, scores: 100 * eer(labels, scores))
