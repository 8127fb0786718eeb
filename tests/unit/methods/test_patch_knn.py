"""Patch kNN: a planted anomaly at a known cell gets the top patch score; position-aware scoring finds a
patch that is normal elsewhere but not there; distances equal a brute-force k-th nearest neighbour."""
import numpy as np
import pytest

from tlbench.errors import TlbenchError
from tlbench.methods.patch_knn import PatchKNN

ROWS, COLS, DIMS = 6, 8, 5


def _normal_frames(rng, n):
    """Each cell has its own normal appearance (its mean), plus noise."""
    means = np.random.default_rng(99).normal(0, 4, (ROWS * COLS, DIMS))
    return means[None] + rng.normal(0, 0.5, (n, ROWS * COLS, DIMS))


@pytest.mark.parametrize("position, bank", [("free", "coreset"), ("free", "random"), ("aware", "coreset")])
def test_a_planted_anomaly_gets_the_top_cell_score(position, bank):
    rng = np.random.default_rng(0)
    train, test = _normal_frames(rng, 60), _normal_frames(rng, 10)
    test[4, 37] += 6.0  # a patch unlike any normal one
    model = PatchKNN(position=position, bank=bank, bank_size=0.2, projection_dim=None).fit(train)
    cells = model.cell_scores(test)
    assert np.unravel_index(cells.argmax(), cells.shape) == (4, 37)
    assert model.score(test).argmax() == 4


def test_position_aware_finds_a_patch_that_is_normal_only_elsewhere():
    rng = np.random.default_rng(1)
    train, test = _normal_frames(rng, 60), _normal_frames(rng, 10)
    test[6, 37] = train[0, 3] + rng.normal(0, 0.5, DIMS)  # cell 3's appearance, shown at cell 37
    aware = PatchKNN(position="aware").fit(train).score(test)
    free = PatchKNN(position="free", bank="random", bank_size=1.0).fit(train).score(test)
    assert aware.argmax() == 6
    assert free[6] < 1.5 * np.median(free)  # position-free sees nothing unusual


def test_distances_equal_brute_force_kth_neighbour():
    rng = np.random.default_rng(2)
    train, test = _normal_frames(rng, 20), _normal_frames(rng, 3)
    model = PatchKNN(position="free", bank="random", bank_size=1.0, k=3, block=7).fit(train)
    patches = train.reshape(-1, DIMS)
    for frame in range(3):
        for cell in (0, 11, 47):
            d = np.sort(np.linalg.norm(patches - test[frame, cell], axis=1))[2]
            assert model.cell_scores(test)[frame, cell] == pytest.approx(d, rel=1e-4)


def test_neighbourhood_and_aggregation():
    model = PatchKNN(position="aware", neighbourhood=1, grid=(ROWS, COLS), aggregate="top_mean", top_cells=2)
    model.fit(_normal_frames(np.random.default_rng(3), 5))
    assert sorted(model._around(0)) == [0, 1, 8, 9]
    assert len(model._around(9)) == 9
    cells = model.cell_scores(_normal_frames(np.random.default_rng(4), 2))
    np.testing.assert_allclose(model.score(_normal_frames(np.random.default_rng(4), 2)),
                               np.sort(cells, axis=1)[:, -2:].mean(axis=1))


def test_bad_settings_and_shapes_are_refused():
    with pytest.raises(TlbenchError, match="position"):
        PatchKNN(position="nowhere")
    model = PatchKNN(position="aware").fit(np.zeros((4, 6, 2)))
    with pytest.raises(TlbenchError, match="cells"):
        model.score(np.zeros((2, 5, 2)))
    with pytest.raises(TlbenchError, match=r"\(frames, cells, dims\)"):
        model.fit(np.zeros((4, 6)))
    with pytest.raises(TlbenchError, match="grid"):
        PatchKNN(position="aware", neighbourhood=1).fit(np.zeros((4, 6, 2))).score(np.zeros((1, 6, 2)))


@pytest.mark.parametrize("k", [1, 4])
def test_bank_tiles_merge_to_the_brute_force_kth_neighbour(k, monkeypatch):
    import tlbench.methods.patch_knn as patch_knn

    monkeypatch.setattr(patch_knn, "BANK_TILE", 3)  # tiles of 3 patches: every merge path, k larger than a tile
    rng = np.random.default_rng(5)
    bank, queries = rng.normal(size=(50, 6)).astype(np.float32), rng.normal(size=(9, 6)).astype(np.float32)
    got = PatchKNN(k=k, block=4)._kth(queries, bank, (k,))[:, 0]
    want = np.sort(np.linalg.norm(queries[:, None] - bank[None], axis=2), axis=1)[:, k - 1]
    np.testing.assert_allclose(got, want, rtol=1e-4)


@pytest.mark.parametrize("position", ["free", "aware"])
def test_one_search_gives_every_k_of_a_grid_as_separate_searches_do(position):
    rng = np.random.default_rng(6)
    train, test = rng.normal(size=(30, 4, 3)), rng.normal(size=(7, 4, 3))
    ks = (1, 3, 5)
    model = PatchKNN(position=position, bank="random", bank_size=60, random_state=0).fit(train)
    together = model.cell_distances(test, ks)
    assert together.shape == (7, 4, 3)
    for i, k in enumerate(ks):
        alone = PatchKNN(position=position, k=k, bank="random", bank_size=60, random_state=0).fit(train)
        np.testing.assert_array_equal(together[..., i], alone.cell_scores(test))


def test_top_cells_one_is_the_worst_cell_and_more_is_the_mean_of_the_worst():
    from tlbench.methods.patch_knn import aggregate_cells

    cells = np.array([[1.0, 5.0, 3.0, 2.0]])
    assert aggregate_cells(cells, 1)[0] == 5.0
    assert aggregate_cells(cells, 2)[0] == 4.0
    assert aggregate_cells(cells, 10)[0] == pytest.approx(11 / 4)


@pytest.mark.parametrize("ks, block, group", [((1,), 1024, 1 << 22), ((1, 3), 5, 40), ((2,), 3, 1)])
def test_cells_searched_together_give_each_cell_s_own_search(monkeypatch, ks, block, group):
    """The batched position-aware search (groups of cells per product) against one `_kth` per cell (to float32
    rounding: a batched product may sum in another order), over query blocks and bank tiles that do not
    divide the frames; and against the distances' definition."""
    import tlbench.methods.patch_knn as patch_knn

    monkeypatch.setattr(patch_knn, "BANK_TILE", 7)
    monkeypatch.setattr(patch_knn, "GROUP_VALUES", group)
    rng = np.random.default_rng(7)
    train, test = rng.normal(size=(23, 6, 9)).astype(np.float32), rng.normal(size=(11, 6, 9)).astype(np.float32)
    model = PatchKNN(position="aware", block=block).fit(train)
    together = model.cell_distances(test, ks)
    for cell in range(6):
        np.testing.assert_allclose(together[:, cell], model._kth(test[:, cell], train[:, cell], ks), rtol=1e-6)
        exact = np.sort(np.linalg.norm(test[:, cell, None] - train[None, :, cell], axis=2), axis=1)
        np.testing.assert_allclose(together[:, cell], exact[:, [k - 1 for k in ks]], rtol=1e-4)
