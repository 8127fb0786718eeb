"""The equal error rate of anomaly scores (measure `eer`)."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_curve

from ..errors import TlbenchError
from .registry import MEASURES


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
    values = np.unique(raw)
    if raw.dtype.kind in "bui" or (len(values) == 2 and set(values.tolist()) <= {-1.0, 0.0, 1.0}):
        raise TlbenchError("EER needs continuous scores, these look like hard labels (two values among -1, 0, 1 or "
                           "an integer type): use the detector's score, not its prediction")
    scores = raw.astype(np.float64)
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    fnr = 1 - tpr
    diff = fnr - fpr  # from 1 (threshold above every score) down to -1
    i = int(np.argmax(diff <= 0))
    if diff[i] == 0:
        return float(fpr[i])
    t = diff[i - 1] / (diff[i - 1] - diff[i])
    return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))


MEASURES.implement("eer", lambda labels, scores: 100 * eer(labels, scores))
