import shutil

import numpy as np
import pytest
from PIL import Image

from tlbench.data.demo.video import write_york
from tlbench.data.york import load_york
from tlbench.errors import TlbenchError

ANOMALIES = {"belleview": [(25, 30)], "train": [(30, 35), (37, 38)]}


@pytest.fixture(scope="module")
def york_twin(tmp_path_factory):
    return write_york(tmp_path_factory.mktemp("york") / "york", 0, 40, ANOMALIES, size=(64, 48))


def test_york_twin_labels_follow_its_masks(york_twin):
    bv = load_york(york_twin, "belleview")
    assert bv.n_frames == 40 and bv.size == (64, 48)
    labels = bv.anomalous(20, 40)
    assert np.flatnonzero(labels).tolist() == [i - 20 for i in range(25, 31)]
    frames = list(bv.frames(10, 13))
    assert [i for i, _ in frames] == [10, 11, 12] and frames[0][1].shape == (48, 64, 3)
    tr = load_york(york_twin, "train")
    assert tr.anomalous(0, 40).sum() == 6 + 2


@pytest.fixture
def york_copy(york_twin, tmp_path):
    return shutil.copytree(york_twin, tmp_path / "york")


def test_york_missing_gt_in_the_test_range(york_copy):
    (york_copy / "Traffic-Belleview/GT/gt-00033.png").unlink()
    with pytest.raises(TlbenchError, match=r"no mask for frame 33 \(gt-00033\.png\)"):
        load_york(york_copy, "belleview").anomalous(20, 40)


def test_york_mask_of_another_size(york_copy):
    Image.new("L", (10, 10)).save(york_copy / "Traffic-Train/GT/gt-00021.png")
    with pytest.raises(TlbenchError, match=r"gt-00021\.png is 10x10, the frames of .*input\.avi are 64x48"):
        load_york(york_copy, "train").anomalous(20, 25)


def test_york_undecodable_video(york_copy):
    (york_copy / "Traffic-Train/input.avi").write_bytes(b"RIFF" + b"\0" * 64)
    with pytest.raises(TlbenchError, match=r"input\.avi cannot be decoded"):
        load_york(york_copy, "train")


def test_york_truncated_video_fails_at_the_frame(york_copy):
    video = york_copy / "Traffic-Belleview/input.avi"
    data = video.read_bytes()
    video.write_bytes(data[: len(data) // 2])
    scene = load_york(york_copy, "belleview")
    with pytest.raises(TlbenchError, match=r"frame \d+ of \d+ cannot be decoded"):
        for _ in scene.frames(0, 40):
            pass
