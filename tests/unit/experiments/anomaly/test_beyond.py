"""The wiring of anomaly.beyond: which frames the motion stage keeps, the held-out tails, patch spaces."""
import numpy as np
import pytest

from tlbench.errors import TlbenchError
from tlbench.experiments.anomaly.beyond import held_out_mask, in_space
from tlbench.experiments.anomaly.motion import clips_of, kept


def test_kept_frames_are_the_extractions_stride_within_each_clip():
    groups = np.array([0] * 5 + [1] * 4)
    assert kept(groups, 1).tolist() == list(range(9))
    # UCSD keeps clip.frames[::stride] per clip, York range(start, stop, stride): both restart at each clip
    assert kept(groups, 2).tolist() == [0, 2, 4, 5, 7]


def test_a_clip_split_in_two_places_is_an_error():
    with pytest.raises(TlbenchError, match="not contiguous"):
        clips_of(np.array([0, 0, 1, 1, 0]))


def test_held_out_tails_keep_every_clip_in_the_fit():
    groups = np.array([0] * 10 + [1] * 3 + [2] * 2)
    mask = held_out_mask(groups, 0.2)
    assert mask.tolist() == [False] * 8 + [True] * 2 + [False, False, True] + [False, True]
    with pytest.raises(TlbenchError, match="2 or more"):
        held_out_mask(np.array([0, 0, 1]), 0.5)


def test_patch_space_maps_every_cell_alike():
    from sklearn.preprocessing import StandardScaler

    class Scaled:  # a fitted space: z-scoring only, as the raw space
        def __init__(self, X):
            self.scaler = StandardScaler().fit(X)

        def transform(self, X):
            return self.scaler.transform(X)

    cells = np.random.default_rng(0).normal(size=(4, 6, 3)).astype(np.float32)
    space = Scaled(cells.reshape(-1, 3))
    out = in_space(space, cells)
    assert out.shape == (4, 6, 3)
    np.testing.assert_allclose(out[2, 5], space.transform(cells[2, 5][None])[0], rtol=1e-6)


def test_a_source_only_space_is_fitted_once_per_source_and_tca_per_pair(monkeypatch):
    import tlbench.experiments.anomaly.beyond as beyond

    calls = []
    monkeypatch.setattr(beyond, "_FITTED", {})
    monkeypatch.setattr(beyond, "_params_key", lambda params: "run")
    monkeypatch.setattr(beyond, "fit_patch_space", lambda params, space, s, t: calls.append(space) or "space")
    monkeypatch.setattr(beyond, "in_space_chunked", lambda space, cells, frames: cells[frames])

    class Detector:
        def fit(self, X):
            return self

        def score(self, X):
            return np.zeros(len(X))

    monkeypatch.setattr(beyond, "detector", lambda params, name, grid: Detector())
    monkeypatch.setattr(beyond, "frame_scores", lambda params, name, knn, cells: (knn.score(cells), None))

    class FakeParams:
        seed = 0

    cells = np.zeros((10, 4, 3), np.float32)
    groups = np.zeros(10, int)
    for source, target in [("a", "a"), ("a", "b"), ("b", "a")]:
        pair = {"source": {"motion": cells}, "target_fit": {"motion": cells}, "grid": {"motion": None},
                "source_scene": source,
                "held_out": beyond.held_out_mask(groups, 0.2), "target_scene": target}
        for space in ("raw", "pca", "tca"):
            beyond.fitted(FakeParams(), space, "motion", pair)
    assert calls == ["raw", "pca", "tca", "tca", "raw", "pca", "tca"]  # a -> b reuses a's raw and PCA fits


def test_no_beyond_section_records_no_selection_rather_than_failing():
    from types import SimpleNamespace

    from tlbench.experiments.anomaly.beyond import selection_record

    params = SimpleNamespace(
        seed=0, model=SimpleNamespace(anomaly=SimpleNamespace(beyond=None, scenes=["ped2"], spaces=["raw"]))
    )
    record = selection_record(params, [], [])
    assert record["protocol"] == "none" and record["rows"] == []
