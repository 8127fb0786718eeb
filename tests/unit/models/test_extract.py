
import numpy as np
import pytest
import torch

from tlbench.data.ph2 import PH2
from tlbench.errors import TlbenchError
from tlbench.io import load_features, load_meta
from tlbench.models.device import resolve_precision
from tlbench.models.extract import extract_features

LAYERS = [-2, -5]


@pytest.fixture(scope="module")
def extracted(tiny_ph2, tmp_path_factory):
    ds = PH2.load(tiny_ph2, expect_full=False)
    out = tmp_path_factory.mktemp("features") / "efficientnet_lite0"
    result = extract_features(ds.image_paths, "efficientnet_lite0", LAYERS, out, batch_size=8, num_workers=0,
                              progress=False)
    return ds, out, result


def test_features_are_written_per_layer_with_their_record(extracted):
    ds, out, result = extracted
    assert result.n_images == 20 and result.images_per_second > 0
    pre = load_features(out, "global_pool.flatten")
    assert isinstance(pre, np.memmap) and pre.shape == (20, 1280) and pre.dtype == np.float32
    assert load_features(out, "blocks.6").shape == (20, 15680)
    meta = load_meta(out)
    assert [l["index"] for l in meta["layers"]] == LAYERS
    assert meta["preprocessing"]["resize"] == "squash" and meta["preprocessing"]["size"] == 224
    assert "efficientnet-lite0-57934424" in meta["weights_id"]
    assert meta["precision"] == "fp32" and meta["device"] == "cpu"
    assert meta["versions"]["torch"]
    assert "squashed to 224x224" in meta["preprocessing_text"]
    assert np.isfinite(pre).all() and pre.std(axis=0).max() > 0


def test_batching_does_not_change_features(extracted, tmp_path):
    ds, out, _ = extracted
    again = extract_features(ds.image_paths, "efficientnet_lite0", LAYERS, tmp_path / "x", batch_size=3,
                             num_workers=1, progress=False)
    np.testing.assert_allclose(load_features(again.out_dir, "blocks.6"), load_features(out, "blocks.6"),
                               rtol=1e-4, atol=1e-4)


def test_same_run_twice_gives_identical_bytes(extracted, tmp_path):
    ds, out, _ = extracted
    again = extract_features(ds.image_paths, "efficientnet_lite0", LAYERS, tmp_path / "y", batch_size=8,
                             num_workers=0, progress=False)
    assert (again.out_dir / "global_pool.flatten.npy").read_bytes() == (out / "global_pool.flatten.npy").read_bytes()


def test_float16_storage_is_the_float32_features_rounded(extracted, tmp_path):
    ds, out, _ = extracted
    half = extract_features(ds.image_paths, "efficientnet_lite0", LAYERS, tmp_path / "half", batch_size=8,
                            num_workers=0, progress=False, dtypes={"blocks.6": "float16"})
    stored = load_features(half.out_dir, "blocks.6")
    assert stored.dtype == np.float16 and load_features(half.out_dir, "global_pool.flatten").dtype == np.float32
    assert [l["dtype"] for l in load_meta(half.out_dir)["layers"]] == ["float32", "float16"]
    np.testing.assert_array_equal(stored, np.asarray(load_features(out, "blocks.6")).astype(np.float16))


def test_bf16_features_stay_close_to_fp32(extracted, tmp_path):
    ds, out, _ = extracted
    bf16 = extract_features(ds.image_paths[:8], "efficientnet_lite0", [-2], tmp_path / "bf16", batch_size=8,
                            num_workers=0, precision="bf16", progress=False)
    assert load_meta(bf16.out_dir)["precision"] == "bf16"
    a, b = load_features(bf16.out_dir, "global_pool.flatten"), load_features(out, "global_pool.flatten")[:8]
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cos.min() > 0.98


def test_corrupt_image_names_the_file_and_leaves_nothing(tiny_ph2, tmp_path):
    import shutil

    root = shutil.copytree(tiny_ph2, tmp_path / "PH2Dataset")
    paths = PH2.load(root, expect_full=False).image_paths
    data = paths[5].read_bytes()
    paths[5].write_bytes(data[:60] + b"\xff" * 10)  # header intact, pixels gone
    out = tmp_path / "out" / "efficientnet_lite0"
    with pytest.raises(TlbenchError, match=rf"{paths[5].name} cannot be decoded"):
        extract_features(paths, "efficientnet_lite0", [-2], out, batch_size=4, num_workers=1, progress=False)
    assert not out.exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_unknown_layer_fails_before_work(tiny_ph2, tmp_path):
    with pytest.raises(TlbenchError, match="unknown layer -9"):
        extract_features(PH2.load(tiny_ph2, expect_full=False).image_paths, "efficientnet_lite0", [-9],
                         tmp_path / "z", progress=False)
    assert not (tmp_path / "z").exists()


def test_missing_torchvision_weights_fail_before_work(tiny_ph2, tmp_path, torch_home):
    with pytest.raises(TlbenchError, match="vgg19-dcbb9e9d.pth"):
        extract_features(PH2.load(tiny_ph2, expect_full=False).image_paths, "vgg19", [-2], tmp_path / "v",
                         progress=False)
    assert not (tmp_path / "v").exists()


def test_precision_choices():
    import torch

    assert resolve_precision("auto", torch.device("cpu")) == "fp32"
    assert resolve_precision("auto", torch.device("cuda")) == "bf16"
    with pytest.raises(TlbenchError, match="fp16 is for CUDA"):
        resolve_precision("fp16", torch.device("cpu"))
    with pytest.raises(TlbenchError, match="unknown"):
        resolve_precision("int8", torch.device("cpu"))


def test_pooling_modes_reduce_maps_before_storage():
    from tlbench.models.extract import pool

    t = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    assert pool(t, "avg").shape == (2, 3) and torch.equal(pool(t, "avg"), t.mean(dim=(2, 3)))
    assert torch.equal(pool(t, "max"), t.amax(dim=(2, 3)))
    assert pool(t, "pyramid").shape == (2, 15)
    grid = pool(t, "grid2")
    assert grid.shape == (2, 12) and grid[0, 0] == t[0, 0, :2, :2].mean()  # patch-grid cells
    assert pool(t[:, :, 0, 0], "avg").shape == (2, 3)  # vectors pass through
    with pytest.raises(TlbenchError, match="pooling 'grid0' is unknown"):
        pool(t, "grid0")


def test_test_time_augmentation_makes_features_flip_invariant_and_keeps_maps_aligned():
    import torch

    from tlbench.models.extract import Engine, EngineOptions
    from tlbench.models.specs import backbone

    spec = backbone("efficientnet_lite0")
    layers = [spec.layer(-2), spec.layer(-5)]
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    plain = Engine.build(spec, layers, EngineOptions(weights=None))
    tta = Engine.build(spec, layers, EngineOptions(weights=None, tta=("hflip",)))
    tta.extractor.load_state_dict(plain.extractor.state_dict())
    a, b = tta(x, layers, {}), tta(x.flip(-1), layers, {})
    np.testing.assert_allclose(a["global_pool.flatten"], b["global_pool.flatten"], rtol=1e-5, atol=1e-6)
    maps = lambda f: f["blocks.6"].reshape(2, 320, 7, 7)
    np.testing.assert_allclose(maps(a), maps(b)[..., ::-1], rtol=1e-5, atol=1e-6)  # cells stay aligned
    p = plain(x, layers, {})["global_pool.flatten"]
    assert not np.allclose(p, plain(x.flip(-1), layers, {})["global_pool.flatten"], atol=1e-4)  # plain is not invariant
    with pytest.raises(TlbenchError, match="extract.tta 'rotate'"):
        Engine.build(spec, layers, EngineOptions(weights=None, tta=("rotate",)))


def _counting_forward_passes(monkeypatch) -> list:
    """Images the networks extract_features builds from now on see, one entry per forward pass."""
    from tlbench.models import extract

    seen, build = [], extract.feature_extractor

    def counted(*args, **kwargs):
        module = build(*args, **kwargs)
        module.register_forward_pre_hook(lambda _, inputs: seen.append(len(inputs[0])))
        return module

    monkeypatch.setattr(extract, "feature_extractor", counted)
    return seen


@pytest.mark.parametrize("views", [("hflip",), ("hflip", "transpose")])
def test_a_tta_sweep_reads_the_plain_sweep_for_the_images_own_view_and_gives_the_same_bytes(
        extracted, tmp_path, monkeypatch, views):
    ds, plain, _ = extracted
    options = dict(batch_size=8, num_workers=0, progress=False, tta=views)
    computed = extract_features(ds.image_paths, "efficientnet_lite0", LAYERS, tmp_path / "computed", **options)
    passes = _counting_forward_passes(monkeypatch)
    reused = extract_features(ds.image_paths, "efficientnet_lite0", LAYERS, tmp_path / "reused", unaugmented=plain,
                              **options)
    assert sum(passes) == 20 * len(views)  # the views only: the image's own pass came from `plain`
    for name in ("global_pool.flatten.npy", "blocks.6.npy", "meta.json"):
        a, b = (computed.out_dir / name).read_bytes(), (reused.out_dir / name).read_bytes()
        assert a == b or (name == "meta.json" and _without_versions(a) == _without_versions(b))


def _without_versions(meta: bytes) -> dict:
    import json

    return {k: v for k, v in json.loads(meta).items() if k != "versions"}


@pytest.mark.parametrize("change, message", [
    ({"tta": ("vflip",)}, "it was extracted with TTA"),
    ({"resize": "keras"}, "its preprocessing differs"),
    ({"pooling": {"blocks.6": "avg"}}, "it has no unpooled float32 blocks.6"),
])
def test_features_that_cannot_stand_for_the_image_s_own_view_are_refused(extracted, tmp_path, change, message):
    ds, plain, _ = extracted
    options = dict(batch_size=8, num_workers=0, progress=False) | change
    other = extract_features(ds.image_paths, "efficientnet_lite0", LAYERS, tmp_path / "other", **options)
    source = other.out_dir if "tta" in change or "pooling" in change else plain
    with pytest.raises(TlbenchError, match=message):
        extract_features(ds.image_paths, "efficientnet_lite0", LAYERS, tmp_path / "out", unaugmented=source,
                         **(options | {"tta": ("hflip",)}))
    assert not (tmp_path / "out").exists()
