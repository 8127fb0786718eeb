"""Typed parameters: a typo'd key or value fails at load time, in one line naming the key, the file
actually used and the closest valid spelling."""
import copy
import re

import pytest
import yaml

from tests.conftest import REPO
from tlbench.cli import main
from tlbench.errors import TlbenchError
from tlbench.params import Params

RAW = yaml.safe_load((REPO / "params.yaml").read_text())


def load_with(tmp_path, edit, name="other.yaml"):
    raw = copy.deepcopy(RAW)
    edit(raw)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw))
    return Params.load(path), path


def error_of(tmp_path, edit) -> str:
    with pytest.raises(TlbenchError) as info:
        load_with(tmp_path, edit)
    message = str(info.value)
    assert "\n" not in message and str(tmp_path / "other.yaml") in message
    return message


def rename(section: dict, old: str, new: str):
    section[new] = section.pop(old)


def test_the_repository_params_are_valid():
    params = Params.load(REPO / "params.yaml")
    assert params.settings.ph2_backbones and params.model.ph2.svm.C > 0


@pytest.mark.parametrize("edit, key, suggestion", [
    (lambda r: rename(r["extract"], "precision", "precison"), "extract.precison", "precision"),
    (lambda r: rename(r["ph2"]["svm"], "C", "c"), "ph2.svm.c", "C"),
    (lambda r: rename(r["anomaly"]["tca"], "n_components", "n_component"), "anomaly.tca.n_component", "n_components"),
    (lambda r: rename(r["profiles"]["demo"], "anomaly_backbone", "anomaly_bakbone"), "profiles.demo.anomaly_bakbone",
     "anomaly_backbone"),
])
def test_a_typod_key_names_the_key_the_file_and_the_spelling(tmp_path, edit, key, suggestion):
    message = error_of(tmp_path, edit)
    assert f"unknown key `{key}`" in message and f"did you mean `{suggestion}`" in message


@pytest.mark.parametrize(
    "edit, key, suggestion",
    [
        (lambda r: r["anomaly"]["detector"].update(kind="ocsvn"), "anomaly.detector.kind", "ocsvm"),
        (lambda r: r["extract"].update(precision="fp23"), "extract.precision", "fp32"),
        (
            lambda r: r["profiles"]["paper"].update(anomaly_backbone="resnet5"),
            "profiles.paper.anomaly_backbone",
            "resnet50",
        ),
        (lambda r: r["ph2"].update(protocols=["paper", "stratifed"]), "ph2.protocols.1", "stratified"),
        (lambda r: r["anomaly"].update(spaces=["raw", "tcaa"]), "anomaly.spaces.1", "tca"),
        (lambda r: r["anomaly"].update(scenes=["ped1", "ped3"]), "anomaly.scenes.1", "ped2"),
        (lambda r: r["anomaly"].update(pooling="gird2"), "anomaly.pooling", "grid2"),
        (lambda r: r.update(profile="dmeo"), "profile", "demo"),
        (lambda r: r["ph2"]["beyond"]["tta"].update(views=["hflipp"]), "ph2.beyond.tta.views.0", "hflip"),
        (
            lambda r: r["ph2"]["beyond"].update(backbones=["efficientnet_lite22"]),
            "ph2.beyond.backbones.0",
            "efficientnet_lite2",
        ),
        (lambda r: r["anomaly"]["beyond"].update(variants=["motoin"]), "anomaly.beyond.variants.0", "motion"),
        (
            lambda r: r["anomaly"]["beyond"]["smoothing"].update(kind="gausian"),
            "anomaly.beyond.smoothing.kind",
            "gaussian",
        ),
    ],
)
def test_a_typod_value_names_the_key_the_file_and_the_spelling(tmp_path, edit, key, suggestion):
    message = error_of(tmp_path, edit)
    assert f"`{key}`" in message or key == "profile" and "profile 'dmeo'" in message
    assert f"did you mean `{suggestion}`" in message


def test_wrong_types_and_ranges_and_missing_keys(tmp_path):
    assert "`ph2.n_folds`" in error_of(tmp_path, lambda r: r["ph2"].update(n_folds=1))
    assert "`extract.batch_size`" in error_of(tmp_path, lambda r: r["extract"].update(batch_size="big"))
    assert "missing key `fusion.seeds`" in error_of(tmp_path, lambda r: r["fusion"].pop("seeds"))
    assert "unknown layer 'layer9'" in error_of(tmp_path, lambda r: r["ph2"].update(layers=[-2, "layer9"]))
    patch = error_of(tmp_path, lambda r: r["profiles"]["demo"].update(anomaly_patch_layer="global_pool.flatten"))
    assert "anomaly_patch_layer" in patch and "needs a map layer" in patch


def test_a_stage_with_a_typo_fails_before_any_work(tmp_path, capsys):
    raw = copy.deepcopy(RAW)
    rename(raw["extract"], "precision", "precison")
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert main(["--params", str(path), "demo-data"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "extract.precison" in err and str(path) in err
    assert not (tmp_path / "data").exists()


def test_profile_differences_are_data(tmp_path):
    params, _ = load_with(tmp_path, lambda r: r.update(profile="paper"))
    assert not params.settings.synthetic and params.settings.official_counts
    assert params.dataset_root("ph2") == tmp_path / "data/paper/PH2Dataset"


def _beyond(**changes):
    def edit(raw):
        for dotted, value in changes.items():
            node = raw
            *parents, last = dotted.split("__")
            for part in parents:
                node = node[part]
            node[last] = value
    return edit


@pytest.mark.parametrize("value, wanted", [
    (2.0, r"2.0 is a share of the training patches outside \(0, 1\]"),  # once a bank of 2 patches
    (1.5, r"1.5 is a share of the training patches outside \(0, 1\]"),  # once a bank of 1 patch
    (0, "a count of 0"), (True, "True is not a number")])
def test_a_share_is_a_float_in_0_1_and_a_count_an_int(tmp_path, value, wanted):
    message = error_of(tmp_path, _beyond(anomaly__beyond__patch_knn__bank_size=value))
    assert "`anomaly.beyond.patch_knn.bank_size`" in message and re.search(wanted, message)


def test_a_share_and_a_count_keep_their_meaning(tmp_path):
    from tlbench.methods.patch_knn import bank_count

    share, _ = load_with(tmp_path, _beyond(anomaly__beyond__patch_knn__bank_size=1.0))
    count, _ = load_with(tmp_path, _beyond(anomaly__beyond__patch_knn__bank_size=1))
    assert bank_count(share.model.anomaly.beyond.patch_knn.bank_size, 500) == 500  # all of them
    assert bank_count(count.model.anomaly.beyond.patch_knn.bank_size, 500) == 1
    message = error_of(tmp_path, _beyond(profiles__demo__fusion={"test_size": 2.0}))
    assert "`profiles.demo.fusion.test_size`: 2.0 is a share of the images outside (0, 1)" in message


@pytest.mark.parametrize("key", ["anomaly__beyond__smoothing__window", "anomaly__smoothing"])
def test_an_even_smoothing_window_is_refused(tmp_path, key):
    message = error_of(tmp_path, _beyond(**{key: 4}))
    assert (
        f"`{key.replace('__', '.')}`: a window of 4 frames has no middle frame: use an odd number (3 or 5)" in message
    )


def test_cross_checks_name_their_key(tmp_path):
    assert "`ph2.layers`: unknown layer -99" in error_of(tmp_path, _beyond(ph2__layers=[-2, -99]))
    assert "`anomaly.layer`: unknown layer" in error_of(tmp_path, _beyond(anomaly__layer="nope"))
    assert "`profiles.demo.anomaly_patch_layer`" in error_of(tmp_path, _beyond(profiles__demo__anomaly_patch_layer=-2))


def test_a_motion_cell_larger_than_the_frame_names_the_key(tmp_path):
    message = error_of(tmp_path, _beyond(anomaly__motion__cell=500))
    assert "use `anomaly.motion.cell` <= 240" in message and "`anomaly.motion.size`" in message
    assert "`anomaly.motion.cell`" in error_of(tmp_path, _beyond(anomaly__motion__cell=25))  # 12.5 px at scale 0.5


def test_params_loaded_from_a_relative_path_resolve_paths_from_their_own_folder_anywhere(tmp_path, monkeypatch):
    """A Ray job gets the params pickled and runs in another directory: the root must not follow the cwd."""
    import shutil

    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    params = Params.load("params.yaml")
    monkeypatch.chdir(REPO)
    assert params.root_dir == tmp_path.resolve()
    assert params.resolve_path("data/x") == tmp_path.resolve() / "data" / "x"


def test_the_sweeps_beyond_the_seed_take_their_own_layers(tmp_path):
    """`ph2_beyond.layers` trims only the sweeps beyond the seed; an unknown one names its key."""
    params, _ = load_with(tmp_path, _beyond(profiles__demo__ph2_beyond__layers=[-2, "blocks.6"]))
    assert params.ph2_layers(beyond=True) == [-2, "blocks.6"]
    assert params.ph2_layers(beyond=False) == params.model.ph2.layers
    untrimmed, _ = load_with(tmp_path, _beyond(profiles__demo__ph2_beyond__layers=None))
    assert untrimmed.ph2_layers(beyond=True) == untrimmed.model.ph2.layers
    message = error_of(tmp_path, _beyond(profiles__demo__ph2_beyond__layers=[-2, -99]))
    assert "`profiles.demo.ph2_beyond.layers`: unknown layer -99" in message
