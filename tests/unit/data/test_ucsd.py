import shutil

import numpy as np
import pytest
from PIL import Image

from tests.conftest import samples_or_skip
from tlbench.data.demo.video import write_ucsd
from tlbench.data.ucsd import check_masks, load_ucsd, parse_ucsd_m, read_gray
from tlbench.errors import TlbenchError


@pytest.fixture(scope="module")
def ucsd_twin(tmp_path_factory):
    return write_ucsd(tmp_path_factory.mktemp("ucsd") / "UCSD_Anomaly_Dataset.v1p2", 0, train_clips=2,
                      test_clips=3, frames_per_clip=12)


def test_ucsd_m_files_of_the_real_archive():
    ped1 = parse_ucsd_m(samples_or_skip("UCSD_Anomaly_Dataset.v1p2", "UCSDped1", "Test", "UCSDped1.m"))
    ped2 = parse_ucsd_m(samples_or_skip("UCSD_Anomaly_Dataset.v1p2", "UCSDped2", "Test", "UCSDped2.m"))
    assert len(ped1) == 36 and len(ped2) == 12
    assert ped2[0][0] == 60 and ped2[0][-1] == 179 and len(ped2[0]) == 120  # [61:180], 1-based inclusive
    assert len(ped1[4]) == 86 + 61 and 90 not in ped1[4] and 139 in ped1[4]  # [5:90, 140:200]


def test_real_partial_clips_are_refused_with_the_gt_file_named():
    root = samples_or_skip("UCSD_Anomaly_Dataset.v1p2")
    with pytest.raises(
        TlbenchError, match=r"UCSDped2\.m: ground truth of Test001 marks frame 180 but the clip has 5 frames"
    ):
        load_ucsd(root, "ped2")


def test_real_frames_and_both_mask_namings_decode():
    test_dir = samples_or_skip("UCSD_Anomaly_Dataset.v1p2", "UCSDped2", "Test")
    assert read_gray(test_dir / "Test001" / "001.tif").shape == (240, 360)
    for mask in ("Test001_gt/001.bmp", "Test006_gt/frame001.bmp"):
        assert read_gray(test_dir / mask).shape == (240, 360)


def test_twin_layout_loads_with_labels_and_masks(ucsd_twin):
    for scene, size in (("ped1", (158, 238)), ("ped2", (240, 360))):
        s = load_ucsd(ucsd_twin, scene)
        assert s.counts() == {"train clips": 2, "test clips": 3, "train frames": 24, "test frames": 36}
        assert read_gray(s.clips[0].frames[0]).shape == size
        for clip in s.split("test"):
            assert 0 < clip.anomalous.sum() < len(clip)
            check_masks(clip)
            if clip.masks:  # masks are non-zero exactly on the frames the .m file marks
                marked = np.array([read_gray(m).any() for m in clip.masks])
                np.testing.assert_array_equal(marked, clip.anomalous)
    ped1, ped2 = load_ucsd(ucsd_twin, "ped1"), load_ucsd(ucsd_twin, "ped2")
    assert [bool(c.masks) for c in ped1.split("test")] == [True, False, True]  # Ped1: masks for some clips only
    assert ped2.split("test")[1].masks[0].name == "frame001.bmp"


@pytest.fixture
def ucsd_copy(ucsd_twin, tmp_path):
    return shutil.copytree(ucsd_twin, tmp_path / "UCSD_Anomaly_Dataset.v1p2")


def test_mask_of_another_size(ucsd_copy):
    mask = ucsd_copy / "UCSDped2/Test/Test001_gt/003.bmp"
    Image.new("L", (100, 50)).save(mask)
    clip = load_ucsd(ucsd_copy, "ped2").split("test")[0]
    with pytest.raises(TlbenchError, match=r"003\.bmp is 100x50 but the frames of Test001 are 360x240"):
        check_masks(clip)


def test_gt_beyond_the_clip(ucsd_copy):
    for f in sorted((ucsd_copy / "UCSDped1/Test/Test002").glob("*.tif"))[4:]:
        f.unlink()
    with pytest.raises(
        TlbenchError, match=r"UCSDped1\.m: ground truth of Test002 marks frame \d+ but the clip has 4 frames"
    ):
        load_ucsd(ucsd_copy, "ped1")


def test_corrupt_frame(ucsd_copy):
    frame = ucsd_copy / "UCSDped2/Train/Train001/002.tif"
    frame.write_bytes(frame.read_bytes()[:100])
    with pytest.raises(TlbenchError, match=r"002\.tif cannot be decoded"):
        read_gray(frame)


def test_missing_scene_says_both_layouts(tmp_path):
    with pytest.raises(TlbenchError, match=r"UCSDped2/Train/Train001/001.tif .*ped2/training/frames/01/000.jpg"):
        load_ucsd(tmp_path, "ped2")


def test_reencoded_layout_gives_the_same_labels(ucsd_twin, tmp_path):
    from scipy.io import savemat

    official = load_ucsd(ucsd_twin, "ped2")
    base = tmp_path / "ped2"
    cells = np.empty((1, 3), dtype=object)
    for split, sub in (("train", "training"), ("test", "testing")):
        for k, clip in enumerate(official.split(split), start=1):
            d = base / sub / "frames" / f"{k:02d}"
            d.mkdir(parents=True)
            for t, f in enumerate(clip.frames):
                Image.open(f).save(d / f"{t:03d}.jpg")
            if split == "test":
                idx = np.flatnonzero(clip.anomalous)
                cells[0, k - 1] = np.array([[idx[0] + 1], [idx[-1] + 1]], dtype=float)
    savemat(base / "ped2.mat", {"gt": cells})
    reencoded = load_ucsd(tmp_path, "ped2")
    assert reencoded.layout == "reencoded"
    for a, b in zip(official.split("test"), reencoded.split("test")):
        np.testing.assert_array_equal(a.anomalous, b.anomalous)


def coded_video(path, n: int = 120, fourcc: str = "mp4v"):
    """A video whose frame t shows t in binary (9 bright/dark bars), written with a codec that has inter
    frames (MPEG-4 Part 2: a keyframe every 12 frames), so that seeking is not trivially exact."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 25, (128, 48))
    if not writer.isOpened():
        pytest.skip(f"OpenCV cannot write {fourcc} here")
    for t in range(n):
        frame = np.zeros((48, 128, 3), np.uint8)
        for b in range(9):
            if (t >> b) & 1:
                frame[:, b * 14:(b + 1) * 14] = 255
        writer.write(frame)
    writer.release()
    return path


def frame_number(image) -> int:
    a = np.asarray(image)
    return sum(1 << b for b in range(9) if a[:, b * 14 + 3:(b + 1) * 14 - 3].mean() > 127)


JUMPS = [0, 1, 2, 40, 41, 119, 7, 8, 60, 61, 62]  # forward, far forward, back, forward again


def test_video_frames_follow_the_indices_across_jumps(tmp_path):
    from tlbench.data.sources import VideoFrames

    source = VideoFrames(coded_video(tmp_path / "v.avi"), JUMPS)
    assert [frame_number(source.image(i)) for i in range(len(JUMPS))] == JUMPS


def keyframe_seeking_capture():
    import cv2

    real = cv2.VideoCapture

    class KeyframeSeekingCapture:
        """An OpenCV capture whose seeks land on the keyframe before the frame asked for and say so, as
        some backends do with inter-frame codecs."""

        def __init__(self, path):
            self.cap, self.gop = real(str(path)), 12

        def set(self, prop, value):
            return self.cap.set(prop, int(value) - int(value) % self.gop)

        def __getattr__(self, name):
            return getattr(self.__dict__["cap"], name)

    return KeyframeSeekingCapture


def test_a_seek_that_lands_elsewhere_is_caught(tmp_path, monkeypatch):
    import cv2

    from tlbench.data import sources

    path = coded_video(tmp_path / "v.avi")
    monkeypatch.setattr(cv2, "VideoCapture", keyframe_seeking_capture())
    source = sources.VideoFrames(path, JUMPS)
    assert [frame_number(source.image(i)) for i in range(len(JUMPS))] == JUMPS
    scene_frames = [frame_number(f) for _, f in sources_frames(path, 50, 53)]
    assert scene_frames == [50, 51, 52]


def sources_frames(path, start, stop):
    """VideoScene.frames on a bare video (the York loader's lazy decoding)."""
    from tlbench.data.york import VideoScene

    return VideoScene("x", path.parent, path, 120, (128, 48), {}).frames(start, stop)
