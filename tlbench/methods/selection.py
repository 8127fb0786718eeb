"""A declared selection protocol for the post-processing of anomaly.beyond's detectors: leave one scene out.

A benchmark must not tune on its target's test labels. For a target scene T, each setting of the grid (the
k-th nearest patch, the number of worst cells a frame's score averages, the smoothing kind and window, the
fusion's motion share) is scored by its mean in-domain EER (S -> S) over the other scenes S != T; the
lowest wins (ties: the first in grid order, which the params declare), and that setting scores every
source -> T pair. T's test labels never take part in T's choice.

The detector is fitted once: the per-cell distances of one k-NN search serve every setting, so the grid
costs EER evaluations only. The appearance + motion fusion keeps each descriptor's (k, top cells) as
selected for T by that descriptor alone, and selects the motion share and the smoothing."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import product

import numpy as np

from ..errors import TlbenchError
from .eer import eer
from .smoothing import fuse_scores, smooth_scores


@dataclass(frozen=True)
class Setting:
    k: int | None = None  # None in a fusion: each descriptor keeps its own selected (k, top cells)
    top_cells: int | None = None
    smoothing: str = "mean"
    window: int = 1
    motion_share: float | None = None

    def text(self) -> str:
        parts = [] if self.k is None else [f"k {self.k}", "max" if self.top_cells == 1 else f"top {self.top_cells}"]
        parts += [] if self.motion_share is None else [f"motion weight {self.motion_share:g}"]
        return ", ".join(parts + ["no smoothing" if self.window == 1 else f"{self.smoothing} {self.window}"])


def cell_settings(grid) -> list[tuple[int, int]]:
    """(k, top cells) of every frame-score aggregation in the grid, in grid order."""
    return list(product(grid.k, grid.top_cells))


def smoothing_settings(grid) -> list[tuple[str, int]]:
    """(kind, window) in grid order; a window of 1 (no smoothing) once, whatever the kind."""
    return smoothings(grid.smoothing_kind, grid.window)


def smoothings(kinds: list[str], windows: list[int]) -> list[tuple[str, int]]:
    out = [(kind, window) for window, kind in product(windows, kinds)]
    return list(dict.fromkeys((("mean", 1) if w == 1 else (kind, w)) for kind, w in out))


def leave_one_scene_out(criteria: dict[str, np.ndarray], target: str) -> tuple[int, float]:
    """(index, mean) of the setting with the lowest mean in-domain EER over the scenes other than `target`;
    `criteria[scene][i]`: setting i's EER on scene -> scene. Ties go to the first setting in grid order."""
    others = [np.asarray(v, dtype=np.float64) for scene, v in criteria.items() if scene != target]
    if not others:
        raise TlbenchError(f"leave-one-scene-out selection for {target} needs at least one other scene "
                           f"(anomaly.scenes), or anomaly.beyond.selection.protocol: none")
    mean = np.mean(others, axis=0)
    best = int(np.argmin(mean))  # argmin returns the first of tied minima
    return best, float(mean[best])


def _eer(labels: np.ndarray, scores: np.ndarray) -> float:
    return round(100 * eer(labels, scores), 6)


def single_eers(pair: dict, descriptor: str, space: str, grid) -> tuple[list[Setting], np.ndarray]:
    """Every (k, top cells) x smoothing setting of one descriptor and its EER on one pair."""
    test = pair["cells"][space][descriptor]["test"]
    settings, out = [], []
    for column, (k, top) in enumerate(cell_settings(grid)):
        for kind, window in smoothing_settings(grid):
            settings.append(Setting(k, top, kind, window))
            out.append(_eer(pair["labels"], smooth_scores(test[:, column], pair["groups"], window, kind)))
    return settings, np.array(out)


def fused_eers(pair: dict, space: str, grid, columns: dict[str, int]) -> tuple[list[Setting], np.ndarray]:
    """Every motion share x smoothing setting of the fusion on one pair, each descriptor at its `columns`."""
    cells = pair["cells"][space]
    scores = {d: cells[d]["test"][:, c] for d, c in columns.items()}
    held = {d: cells[d]["held"][:, c] for d, c in columns.items()}
    settings, out = [], []
    for share in grid.motion_share:
        fused = fuse_scores(scores, held, {"appearance": 1 - share, "motion": share})
        for kind, window in smoothing_settings(grid):
            settings.append(Setting(None, None, kind, window, share))
            out.append(_eer(pair["labels"], smooth_scores(fused, pair["groups"], window, kind)))
    return settings, np.array(out)


def descriptor_choices(pairs: dict, scenes: list[str], space: str, descriptor: str, grid) -> dict[str, tuple]:
    """{target: (setting, criterion)} of one descriptor alone, chosen on the other scenes' in-domain pairs."""
    in_domain = {s: single_eers(pairs[(s, s)], descriptor, space, grid) for s in scenes}
    settings = in_domain[scenes[0]][0]
    criteria = {s: eers for s, (_, eers) in in_domain.items()}
    return {t: (settings[i], crit) for t in scenes for i, crit in [leave_one_scene_out(criteria, t)]}


def fusion_choices(
    pairs: dict, scenes: list[str], space: str, grid, columns: dict[str, dict[str, int]]
) -> dict[str, tuple]:
    """{target: (setting, criterion)} of the fusion; `columns[target][descriptor]`: the descriptor's selected
    (k, top cells) column for that target, fixed while the share and smoothing are chosen."""
    out = {}
    for t in scenes:
        runs = {s: fused_eers(pairs[(s, s)], space, grid, columns[t]) for s in scenes if s != t}
        settings = next(iter(runs.values()))[0]
        i, crit = leave_one_scene_out({s: eers for s, (_, eers) in runs.items()}, t)
        out[t] = (settings[i], crit)
    return out


def pair_eer(pair: dict, space: str, setting: Setting, grid, columns: dict[str, int]) -> float:
    """One pair's EER under a setting (a fusion's descriptors at `columns`)."""
    cells = pair["cells"][space]
    if setting.motion_share is None:
        (descriptor,) = columns
        scores = cells[descriptor]["test"][:, columns[descriptor]]
    else:
        share = setting.motion_share
        scores = fuse_scores({d: cells[d]["test"][:, c] for d, c in columns.items()},
                             {d: cells[d]["held"][:, c] for d, c in columns.items()},
                             {"appearance": 1 - share, "motion": share})
    return _eer(pair["labels"], smooth_scores(scores, pair["groups"], setting.window, setting.smoothing))


def _text(setting: Setting, cells: dict[str, list[int]]) -> str:
    """A fusion's text names each descriptor's (k, top cells) too: "patch k 1, max; motion k 1, top 3, ..."."""
    if setting.motion_share is None:
        return setting.text()
    names = {"appearance": "patch", "motion": "motion"}
    return "; ".join(
        [f"{names.get(d, d)} {Setting(k, top).text().rsplit(', ', 1)[0]}" for d, (k, top) in sorted(cells.items())]
        + [setting.text()]
    )


def select(pairs: dict, scenes: list[str], spaces: list[str], variants: dict[str, tuple[str, ...]], grid) -> list[dict]:
    """Long-form rows, one per variant, space and source -> target pair: the target's selected setting, its
    criterion (the mean in-domain EER of the other scenes) and the pair's EER under it. `pairs[(s, t)]`:
    labels, groups and cells[space][descriptor] = {"test", "held"}: (frames, len(cell_settings)) scores;
    `variants`: {variant: its descriptors}."""
    rows, aggregations = [], cell_settings(grid)
    for space in spaces:
        descriptors = sorted({d for kinds in variants.values() for d in kinds})
        alone = {d: descriptor_choices(pairs, scenes, space, d, grid) for d in descriptors}
        columns = {t: {d: aggregations.index((alone[d][t][0].k, alone[d][t][0].top_cells)) for d in descriptors}
                   for t in scenes}
        for variant, kinds in variants.items():
            choices = alone[kinds[0]] if len(kinds) == 1 else fusion_choices(pairs, scenes, space, grid, columns)
            for target in scenes:
                setting, criterion = choices[target]
                used = {d: columns[target][d] for d in kinds}
                cells = {d: list(aggregations[c]) for d, c in used.items()}
                for source in scenes:
                    rows.append({"experiment": "anomaly", "variant": variant, "space": space, "source": source,
                                 "target": target, "eer": pair_eer(pairs[(source, target)], space, setting, grid, used),
                                 "setting": asdict(setting), "cells": cells, "setting_text": _text(setting, cells),
                                 "criterion": round(criterion, 6)})
    return rows
