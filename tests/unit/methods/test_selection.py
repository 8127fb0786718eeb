"""The declared selection protocol (methods/selection.py): leave one scene out, never the target's labels."""
from types import SimpleNamespace

import numpy as np
import pytest

from tlbench.errors import TlbenchError
from tlbench.methods.selection import Setting, cell_settings, leave_one_scene_out, select, smoothing_settings


def _grid(**overrides):
    grid = dict(k=[1, 2], top_cells=[1, 2], smoothing_kind=["mean", "median"], window=[1, 3], motion_share=[0.25, 0.75])
    return SimpleNamespace(**(grid | overrides))


def test_the_target_s_own_eers_never_take_part_in_its_choice():
    criteria = {"a": np.array([10.0, 50, 30]), "b": np.array([20.0, 40, 10]), "c": np.array([0.0, 90, 90])}
    assert leave_one_scene_out(criteria, "c") == (0, 15.0)  # mean of a and b: [15, 45, 20]
    assert leave_one_scene_out(criteria, "b")[0] == 0  # a and c: [5, 70, 60]
    criteria["c"] = np.array([90.0, 0, 90])  # c now prefers setting 1 on its own test labels: no effect on c's choice
    assert leave_one_scene_out(criteria, "c") == (0, 15.0)


def test_ties_go_to_the_first_setting_in_grid_order_and_one_scene_alone_is_an_error():
    assert leave_one_scene_out({"a": np.array([5.0, 5.0]), "b": np.array([1.0, 1.0])}, "a") == (0, 1.0)
    with pytest.raises(TlbenchError, match="other scene"):
        leave_one_scene_out({"a": np.array([1.0])}, "a")


def test_no_smoothing_is_one_setting_whatever_the_kind():
    assert smoothing_settings(_grid()) == [("mean", 1), ("mean", 3), ("median", 3)]
    assert cell_settings(_grid()) == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert Setting(1, 1, "mean", 1).text() == "k 1, max, no smoothing"
    assert Setting(None, None, "median", 9, 0.25).text() == "motion weight 0.25, median 9"


def _pairs(scenes, rng):
    """Random grid scores; anomalies (the second half of each clip) score higher in some columns than others."""
    pairs = {}
    for s in scenes:
        for t in scenes:
            n, groups = 24, np.repeat([0, 1], 12)
            labels = np.tile(np.r_[np.zeros(6), np.ones(6)], 2).astype(int)
            cells = {sp: {d: {"test": rng.normal(size=(n, 4)) + labels[:, None] * rng.uniform(0, 2, 4),
                              "held": rng.normal(size=(6, 4))} for d in ("appearance", "motion")} for sp in ("raw",)}
            pairs[(s, t)] = {"labels": labels, "groups": groups, "cells": cells}
    return pairs


def _reference_choice(pairs, scenes, target, descriptor):
    """Written from the protocol: for each setting, the mean EER over the other scenes' in-domain pairs."""
    from tlbench.methods.eer import eer
    from tlbench.methods.smoothing import smooth_scores

    grid, best = _grid(), None
    for column, (k, top) in enumerate(cell_settings(grid)):
        for kind, window in smoothing_settings(grid):
            values = [
                100
                * eer(
                    pairs[(s, s)]["labels"],
                    smooth_scores(
                        pairs[(s, s)]["cells"]["raw"][descriptor]["test"][:, column],
                        pairs[(s, s)]["groups"],
                        window,
                        kind,
                    ),
                )
                for s in scenes
                if s != target
            ]
            mean = sum(values) / len(values)
            if best is None or mean < best[0] - 1e-12:
                best = (mean, Setting(k, top, kind, window))
    return best


def test_each_target_gets_the_reference_choice_and_it_scores_every_pair_into_the_target():
    scenes = ["a", "b", "c"]
    pairs = _pairs(scenes, np.random.default_rng(0))
    rows = select(pairs, scenes, ["raw"], {"motion": ("motion",)}, _grid())
    assert len(rows) == 9
    for target in scenes:
        mean, setting = _reference_choice(pairs, scenes, target, "motion")
        into = [r for r in rows if r["target"] == target]
        assert {r["setting_text"] for r in into} == {setting.text()}
        assert into[0]["criterion"] == pytest.approx(mean, abs=1e-5)


def test_changing_a_target_s_test_labels_leaves_its_selected_setting_alone():
    """(They change the other targets' choices: c -> c is one of their criteria.)"""
    scenes = ["a", "b", "c"]
    pairs = _pairs(scenes, np.random.default_rng(1))
    variants = {"motion": ("motion",), "appearance_motion": ("appearance", "motion")}
    before = select(pairs, scenes, ["raw"], variants, _grid())
    for source in scenes:
        pairs[(source, "c")]["labels"] = pairs[(source, "c")]["labels"][::-1].copy()
    after = select(pairs, scenes, ["raw"], variants, _grid())
    chosen = lambda rows: {(r["variant"], r["setting_text"]) for r in rows if r["target"] == "c"}  # noqa: E731
    assert chosen(before) == chosen(after) and len(chosen(before)) == 2
    assert [r["eer"] for r in before if r["target"] == "c"] != [r["eer"] for r in after if r["target"] == "c"]
