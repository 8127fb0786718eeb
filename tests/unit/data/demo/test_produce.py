import pickle
import shutil

import numpy as np
import pytest

from tests.conftest import samples_or_skip
from tests.unit.data.demo.test_ph2 import digest
from tlbench.data.cifar10 import CIFAR10
from tlbench.data.demo.produce import (
    FRUITS360_NAMES,
    SUPERMARKET_NAMES,
    write_cifar10,
    write_fruits360,
    write_supermarket,
)
from tlbench.data.fruits360 import Fruits360
from tlbench.data.supermarket import load_supermarket
from tlbench.errors import TlbenchError


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    root = tmp_path_factory.mktemp("produce")
    return {
        "fruits": write_fruits360(root / "fruits-360", 0, train_per_class=4, test_per_class=2),
        "market": write_supermarket(root / "tropical-fruits-DB-1024x768", 0, per_class=3, size=(64, 48)),
        "cifar": write_cifar10(root / "cifar-10-batches-py", 0, train_per_class=20, test_per_class=4),
    }


def test_fruits360_reads_the_real_sample():
    ds = Fruits360.load(samples_or_skip("fruits-360"))
    assert ds.train.classes == ["Apple Braeburn", "Banana", "Lemon"]
    assert len(ds.train.samples) == len(ds.test.samples) == 12
    assert ds.release_problem()[0] == "warning"  # 3 classes: not a known release


def test_fruits_twin_in_the_real_layout(twins, tmp_path):
    ds = Fruits360.load(twins["fruits"])
    assert ds.train.classes == sorted(FRUITS360_NAMES.values())
    assert len(ds.train.samples) == 24 and len(ds.test.samples) == 12
    assert ds.train.paths[0].name.endswith("_100.jpg")
    from PIL import Image

    with Image.open(ds.train.paths[0]) as im:
        assert im.size == (100, 100) and im.mode == "RGB" and im.getpixel((0, 0)) == (255, 255, 255)
    again = write_fruits360(tmp_path / "f", 0, train_per_class=4, test_per_class=2)
    assert digest(again) == digest(twins["fruits"])


def test_known_release_with_missing_images_is_an_error(twins):
    ds = Fruits360.load(twins["fruits"])
    ds.train.classes = [f"c{i}" for i in range(81)]
    assert ds.release_problem()[0] == "error" and "41322 + 13877" in ds.release_problem()[1]


def test_empty_class_and_stray_test_class(twins, tmp_path):
    root = shutil.copytree(twins["fruits"], tmp_path / "fruits-360")
    (root / "Test" / "Durian").mkdir()
    with pytest.raises(TlbenchError, match=r"class folder .*Durian is empty"):
        Fruits360.load(root)
    (root / "Test" / "Durian" / "1_100.jpg").write_bytes((root / "Training/Banana/0_100.jpg").read_bytes())
    with pytest.raises(TlbenchError, match="classes that Training lacks"):
        Fruits360.load(root)


def test_supermarket_twin_is_the_same_produce_in_another_domain(twins):
    ds = load_supermarket(twins["market"].parent)  # the folder holding tropical-fruits-DB-1024x768
    assert ds.classes == sorted(SUPERMARKET_NAMES.values()) and len(ds.samples) == 18
    assert set(FRUITS360_NAMES) == set(SUPERMARKET_NAMES)
    from PIL import Image

    with Image.open(ds.paths[0]) as im:
        corner = np.asarray(im)[:4, :4].reshape(-1, 3)
    assert not (corner > 250).all()  # clutter, not the white Fruits-360 background


def test_missing_supermarket(tmp_path):
    with pytest.raises(TlbenchError, match=r"nowhere not found: get Supermarket Produce"):
        load_supermarket(tmp_path / "nowhere")


def test_cifar_twin_reads_like_cifar(twins):
    ds = CIFAR10.load(twins["cifar"])
    assert ds.classes[0] == "airplane" and len(ds.classes) == 10
    labels = ds.split_labels("train")
    assert len(labels) == 200 and np.bincount(labels).tolist() == [20] * 10
    idx = ds.subsample(0.25, seed=0)
    assert np.bincount(labels[idx]).tolist() == [5] * 10
    assert np.array_equal(idx, ds.subsample(0.25, seed=0)) and not np.array_equal(idx, ds.subsample(0.25, seed=1))
    images = ds.images("train", idx)
    with open(twins["cifar"] / "data_batch_1", "rb") as fh:
        raw = pickle.load(fh, encoding="bytes")
    first = raw[b"data"][0].reshape(3, 32, 32).transpose(1, 2, 0)
    if idx[0] == 0:
        assert np.array_equal(images[0], first)
    assert images.shape == (50, 32, 32, 3) and images.dtype == np.uint8


def test_cifar_missing_or_corrupt_batch(twins, tmp_path):
    root = shutil.copytree(twins["cifar"], tmp_path / "cifar-10-batches-py")
    (root / "data_batch_3").write_bytes(b"\x80\x02garbage")
    with pytest.raises(TlbenchError, match=r"data_batch_3 cannot be read"):
        CIFAR10.load(root).split_labels("train")
    (root / "test_batch").unlink()
    with pytest.raises(TlbenchError, match=r"test_batch not found: get https://www.cs.toronto.edu"):
        CIFAR10.load(root)


@pytest.mark.parametrize("kind", list(FRUITS360_NAMES))
def test_a_fruit_drawn_in_its_box_equals_the_fruit_drawn_over_the_whole_canvas(kind, monkeypatch):
    """The box must hold the fruit's blurred outline wherever it lies (edges, corners, any angle or size):
    with an unbounded reach the box is the whole canvas, which is what the box saves computing."""
    from tlbench.data.demo import produce

    def composite(seed):
        rng = np.random.default_rng(seed)
        canvas = rng.uniform(0, 255, (96, 128, 3))
        for _ in range(6):
            cy, cx = rng.uniform(-0.1, 1.1) * 96, rng.uniform(-0.1, 1.1) * 128
            produce.draw_fruit(canvas, kind, rng, cy, cx, rng.uniform(8, 30), rng.uniform(0, 2 * np.pi),
                               rng.uniform(0.6, 1.2, 3))
        return canvas

    boxed = [composite(seed) for seed in range(8)]
    monkeypatch.setattr(produce, "ROUND_REACH", 1e6)
    monkeypatch.setattr(produce, "BANANA_REACH", 1e6)
    whole = [composite(seed) for seed in range(8)]
    assert all(np.array_equal(b, w) for b, w in zip(boxed, whole))
    assert not np.array_equal(boxed[0], np.random.default_rng(0).uniform(0, 255, (96, 128, 3)))  # fruits drawn
