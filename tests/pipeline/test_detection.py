"""The detectors work: on the demo twins' in-domain pairs they beat chance (EER 50 %) by a clear margin,
and one RBF width per space serves every domain. Checks of a range (0 <= EER <= 100) would not
catch a broken detector; these would."""
import pytest

from tests.pipeline.test_pipeline import write_params
from tlbench.cli import main
from tlbench.io import read_json

SCENES = ("ped1", "belleview")


@pytest.fixture(scope="module")
def in_domain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("detect")
    params = write_params(tmp, **{
        "demo_data.ucsd": {"train_clips": 3, "test_clips": 3, "frames_per_clip": 40},
        "demo_data.york": {"n_frames": 160, "size": [160, 120],
                           "anomalies": {"belleview": [[110, 125], [140, 150]], "train": [[120, 140]]}},
        "profiles.demo.york_protocol": {"belleview": {"train": [0, 79], "test": [80, None]},
                                        "train": {"train": [0, 79], "test": [100, None]}},
        "anomaly.scenes": list(SCENES), "extract.batch_size": 16})
    for args in (["demo-data"], *[["anomaly-extract", s] for s in SCENES], ["anomaly-gamma"],
                 ["anomaly-evaluate"]):
        assert main(["--params", str(params), "--no-progress", *args]) == 0, args
    rows = [
        r for s in SCENES for t in SCENES for r in read_json(tmp / f"reports/records/anomaly/{s}__{t}.json")["rows"]
    ]
    return tmp, rows


@pytest.mark.parametrize("scene", SCENES)
def test_in_domain_detection_beats_chance_clearly(in_domain, scene):
    _, rows = in_domain
    eer = {r["space"]: r["eer"] for r in rows if r["source"] == r["target"] == scene}
    assert eer["raw"] < 35 and eer["pca"] < 35, eer


def test_one_gamma_per_space_for_every_domain(in_domain):
    tmp, rows = in_domain
    shared = read_json(tmp / "data/anomaly_gamma.json")["gamma"]
    for space in ("raw", "pca", "tca"):
        gammas = [r["gamma"] for r in rows if r["space"] == space]
        assert gammas == pytest.approx([shared[space]] * len(SCENES) ** 2)
    assert {r["tca_solver"] for r in rows if r["space"] == "tca"} <= {"primal", "dual"}
    assert all(r["tca_solver"] is None for r in rows if r["space"] != "tca")
