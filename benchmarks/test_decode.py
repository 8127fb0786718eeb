"""Decode throughput (frames/s) of the video loaders on their demo twins."""
import pytest

from tlbench.data.demo.video import write_ucsd, write_york
from tlbench.data.ucsd import load_ucsd, read_gray
from tlbench.data.york import load_york


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    root = tmp_path_factory.mktemp("decode")
    ucsd = write_ucsd(root / "UCSD_Anomaly_Dataset.v1p2", 0, train_clips=2, test_clips=1, frames_per_clip=100)
    york = write_york(root / "york", 0, 300, {"belleview": [(100, 120)], "train": [(100, 120)]})
    return ucsd, york


@pytest.mark.parametrize("scene", ["ped1", "ped2"])
def test_ucsd_tif_decode(benchmark, twins, scene):
    frames = [f for clip in load_ucsd(twins[0], scene).clips for f in clip.frames]
    benchmark.pedantic(lambda: [read_gray(f) for f in frames], rounds=3, iterations=1)
    benchmark.extra_info["frames_per_second"] = round(len(frames) / benchmark.stats.stats.median, 1)


def test_york_video_decode(benchmark, twins):
    scene = load_york(twins[1], "belleview")
    benchmark.pedantic(lambda: sum(1 for _ in scene.frames()), rounds=3, iterations=1)
    benchmark.extra_info["frames_per_second"] = round(scene.n_frames / benchmark.stats.stats.median, 1)
