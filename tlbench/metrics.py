"""Equal error rate and the Cross-Domain Feature Space Generalization (CDFG) measures."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_curve

from .errors import TlbenchError


def eer(labels: np.ndarray, scores: np.ndarray) -> float:
    """Equal error rate of anomaly `scores` (higher = more anomalous) against binary `labels`.

    Computed on the full ROC (`drop_intermediate=False`, tied scores form one point) with linear
    interpolation between the two points where FPR - FNR changes sign. Constant scores (a detector
    that sees every target frame alike) give the chance level, 0.5."""
    labels = np.asarray(labels).astype(bool).ravel()
    if labels.shape != scores.shape:
        raise TlbenchError(f"EER: {len(labels)} labels for {len(scores)} scores")
    if labels.all() or not labels.any():
        raise TlbenchError("EER is undefined: the ground truth has only "
                           f"{'anomalous' if labels.any() else 'normal'} frames; the test range needs both")
    if not np.isfinite(scores).all():
        raise TlbenchError("EER: the scores contain NaN or inf")
    raw = np.asarray(scores)
    values = np.unique(raw)
    if raw.dtype.kind in "bui" or (len(values) == 2 and set(values.tolist()) <= {-1.0, 0.0, 1.0}):
        raise TlbenchError("EER needs continuous scores, these look like hard labels (two values among -1, 0, 1 or "
                           "an integer type): use the detector's score, not its prediction")
    scores = raw.astype(np.float64).ravel()
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    fnr = 1 - tpr
    diff = fnr - fpr  # from 1 (threshold above every score) down to -1
    i = int(np.argmax(diff <= 0))
    if diff[i] == 0:
        return float(fpr[i])
    t = diff[i - 1] / (diff[i - 1] - diff[i])
    return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))


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


def partial_generalization(risk: dict[tuple[str, str], float], source: str, target: str) -> float:
    """G_part(source -> target) = |R_source(f^source) - R_target(f^source)|, risks in %."""
    return abs(risk[(source, source)] - risk[(source, target)])


def complete_generalization(risk: dict[tuple[str, str], float], a: str, b: str) -> float:
    """G_comp(A, B) = (G_part(A -> B) + G_part(B -> A)) / 2."""
    return (partial_generalization(risk, a, b) + partial_generalization(risk, b, a)) / 2
