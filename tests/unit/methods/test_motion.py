"""The motion descriptor: a planted fast object is what it sees and what appearance alone misses;
its histograms point where the flow points; bad frames get clear errors."""
import numpy as np
import pytest

from tlbench.errors import TlbenchError
from tlbench.methods.motion import cell_grid, clip_motion, flow_histograms

H, W, CELL = 96, 144, 24


def _scene(rng: np.random.Generator, n: int, speeds: list[float]) -> np.ndarray:
    """A textured static background and bright 16x16 textured blobs crossing it left to right, one per
    speed (pixels per frame), each in its own row of cells."""
    background = (rng.random((H, W)) * 60 + 40).astype(np.float32)
    blob = (rng.random((16, 16)) * 80 + 150).astype(np.float32)
    frames = []
    for t in range(n):
        frame = background.copy()
        for k, speed in enumerate(speeds):
            x = int(8 + speed * t) % (W - 16)
            y = 4 + 24 * k  # one walker per row of cells
            frame[y:y + 16, x:x + 16] = blob
        frames.append(frame.astype(np.uint8))
    return np.stack(frames)


def _knn_score(train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Position-aware nearest neighbour per cell, frame score = its largest cell distance."""
    d = np.linalg.norm(test[:, None, :, :] - train[None, :, :, :], axis=-1)  # (test, train, cells)
    return d.min(axis=1).max(axis=1)


def test_a_fast_object_is_found_by_motion_and_missed_by_appearance():
    rng = np.random.default_rng(0)
    walkers = _scene(rng, 100, speeds=[1.0, 1.5, 1.0])  # the middle walker crosses every position
    test = np.concatenate([_scene(np.random.default_rng(0), 20, speeds=[1.0, 1.5, 1.0]),
                           _scene(np.random.default_rng(0), 20, speeds=[1.0, 9.0, 1.0])])  # the middle one rides
    anomalous = np.arange(40) >= 20  # frame 20 starts a clip that is anomalous from its first frame
    motion = _knn_score(clip_motion(walkers, CELL), np.concatenate([clip_motion(test[:20], CELL),
                                                                     clip_motion(test[20:], CELL)]))
    cells = lambda f: f.reshape(len(f), H // CELL, CELL, W // CELL, CELL).mean(axis=(2, 4)).reshape(len(f), -1, 1)
    appearance = _knn_score(cells(walkers.astype(np.float32)), cells(test.astype(np.float32)))

    def separation(score):  # fraction of (anomalous, normal) frame pairs ranked right: the AUC
        return (score[anomalous][:, None] > score[~anomalous][None, :]).mean()

    assert separation(motion) > 0.95
    assert separation(appearance) < 0.75
    assert motion[20] > motion[~anomalous].max()  # its first frame too: it has the flow to frame 1


def test_histogram_bins_follow_the_flow_direction():
    flow = np.zeros((48, 48, 2), np.float32)
    flow[:24, :24] = (2.0, 0.0)     # right: bin 0
    flow[:24, 24:] = (0.0, 3.0)     # down (image y grows downwards): a quarter turn, bin 2 of 8
    flow[24:, :24] = (-1.0, 0.0)    # left: bin 4
    h = flow_histograms(flow, cell=24, bins=8)
    assert h.shape == (4, 9)
    assert h[0, 0] == pytest.approx(2.0) and h[1, 2] == pytest.approx(3.0) and h[2, 4] == pytest.approx(1.0)
    assert h[3, :8].sum() == 0 and list(h[:, 8]) == pytest.approx([2.0, 3.0, 1.0, 0.0])


def test_histograms_equal_a_per_cell_loop():
    rng = np.random.default_rng(1)
    flow = rng.normal(size=(50, 75, 2)).astype(np.float32)  # not a whole number of cells
    fast = flow_histograms(flow, cell=12, bins=6)
    rows, cols = cell_grid(flow.shape[:2], 12)
    for r in range(rows):
        for c in range(cols):
            f = flow[r * 12:(r + 1) * 12, c * 12:(c + 1) * 12].reshape(-1, 2).astype(np.float64)
            mag, ang = np.hypot(f[:, 0], f[:, 1]), np.mod(np.arctan2(f[:, 1], f[:, 0]), 2 * np.pi)
            b = np.minimum((ang * 6 / (2 * np.pi)).astype(int), 5)
            expected = np.bincount(b, weights=mag, minlength=6) / 144
            np.testing.assert_allclose(fast[r * cols + c, :6], expected, rtol=1e-3, atol=1e-3)
            assert fast[r * cols + c, 6] == pytest.approx(mag.max(), rel=1e-3)


def test_first_frame_has_the_flow_to_frame_1_and_bad_frames_are_refused():
    frames = _scene(np.random.default_rng(2), 3, speeds=[2.0])
    out = clip_motion(frames, CELL)
    assert out.shape == (3, (H // CELL) * (W // CELL), 9) and out[0].any()
    np.testing.assert_array_equal(out[0], clip_motion(frames[:2], CELL)[1])  # the flow from frame 0 to 1
    assert not clip_motion(frames[:1], CELL).any()  # one frame: no motion to see
    with pytest.raises(TlbenchError, match="grayscale uint8"):
        clip_motion(frames.astype(np.float32), CELL)
    with pytest.raises(TlbenchError, match="cell no larger than the frame"):
        clip_motion(frames, 200)
    with pytest.raises(TlbenchError, match="without frames"):
        clip_motion([], CELL)


def test_real_ped2_frames_give_walking_speeds():
    """Five consecutive frames of the real UCSD Ped2 Test001 (../shared/samples): pedestrians walk at
    one to a few pixels per frame, the clip's first frame included (it has the flow to frame 1)."""
    from tests.conftest import samples_or_skip
    from tlbench.data.ucsd import read_gray

    folder = samples_or_skip("UCSD_Anomaly_Dataset.v1p2", "UCSDped2", "Test", "Test001")
    motion = clip_motion([read_gray(p) for p in sorted(folder.glob("*.tif"))])
    assert motion.shape == (5, 150, 9)
    peaks = motion[:, :, -1].max(axis=1)
    assert ((peaks > 0.5) & (peaks < 10)).all()


def test_magnitude_statistics_are_those_of_each_cell_s_pixels():
    """Reference: loop over the cells of a random flow and take each statistic of its magnitudes."""
    rng = np.random.default_rng(3)
    flow = rng.normal(size=(48, 72, 2)).astype(np.float32)
    stats = ("mean", "std", "max", "p90")
    out = flow_histograms(flow, cell=24, bins=8, magnitude=stats)
    assert out.shape == (6, 12)
    magnitude = np.hypot(flow[..., 0], flow[..., 1])
    for cell in range(6):
        r, c = divmod(cell, 3)
        pixels = magnitude[24 * r:24 * r + 24, 24 * c:24 * c + 24].ravel()
        want = [pixels.mean(), pixels.std(), pixels.max(), np.percentile(pixels, 90)]
        np.testing.assert_allclose(out[cell, 8:], want, rtol=1e-4)
    np.testing.assert_array_equal(flow_histograms(flow, 24, 8)[:, -1], out[:, 10])  # the default: max alone
    with pytest.raises(TlbenchError, match="anomaly.motion.magnitude"):
        flow_histograms(flow, 24, 8, ("median",))


def test_accumulated_motion_is_the_mean_over_the_frames_before_within_the_clip():
    from tlbench.methods.motion import accumulate

    rng = np.random.default_rng(4)
    per_frame = rng.random((7, 5, 3)).astype(np.float32)
    out = accumulate(per_frame, 3)
    for t in range(7):
        np.testing.assert_allclose(out[t], per_frame[max(0, t - 2):t + 1].mean(axis=0), rtol=1e-6)
    assert accumulate(per_frame, 1) is per_frame


def test_real_ped2_frames_with_the_stronger_motion_options():
    """Smoke test only (five real frames): full-resolution flow, four magnitude statistics per cell and
    three-frame accumulation give finite descriptors with walking speeds."""
    from tests.conftest import samples_or_skip
    from tlbench.data.ucsd import read_gray

    folder = samples_or_skip("UCSD_Anomaly_Dataset.v1p2", "UCSDped2", "Test", "Test001")
    frames = [read_gray(p) for p in sorted(folder.glob("*.tif"))]
    motion = clip_motion(frames, scale=1.0, magnitude=("mean", "std", "max", "p90"), frames_accumulated=3)
    assert motion.shape == (5, 150, 12) and np.isfinite(motion).all()
    peaks = motion[:, :, 10].max(axis=1)  # the "max" column
    assert ((peaks > 0.5) & (peaks < 10)).all()
    assert (motion[:, :, 8] <= motion[:, :, 10] + 1e-6).all()  # a cell's mean magnitude never exceeds its max
