"""The cheap path to extend tlbench: a measure registered from outside the package (here, this test
module) gets computed for every anomaly pair and space, its own table, and gated metrics with its
direction, without editing another file."""
import numpy as np
import pytest
import yaml
from sklearn.metrics import roc_auc_score

from tests.conftest import REPO
from tlbench.cli import main
from tlbench.io import write_json
from tlbench.methods.registry import MEASURES, Measure
from tlbench.params import Params

SCENES = ("ped2", "train")


def write_scene(root, scene: str, rng: np.random.Generator, n_train: int = 60, n_test: int = 40, dim: int = 16) -> None:
    """Frame features of a scene as the extraction engine writes them: normal frames near 0, anomalies off."""
    for split, n in (("train", n_train), ("test", n_test)):
        folder = root / "data/features/anomaly" / scene / split
        folder.mkdir(parents=True)
        labels = np.zeros(n, bool) if split == "train" else np.arange(n) % 4 == 0
        X = rng.normal(size=(n, dim)) + 3.0 * labels[:, None]
        np.save(folder / "pool.npy", X.astype(np.float32))
        np.save(folder / "labels.npy", labels)
        np.save(folder / "groups.npy", np.zeros(n, int))
        write_json(folder / "meta.json", {"backbone": "efficientnet_lite0", "weights_id": "test", "precision": "fp32",
                                          "preprocessing_text": "synthetic features",
                                          "layers": [{"index": -2, "node": "pool", "keras_name": "pool"}]})


@pytest.fixture
def auc_measure():
    MEASURES.add(Measure("auc", "AUC (%)", "area under the ROC curve", direction="higher", computed_from="scores",
                       impl=lambda labels, scores: 100 * roc_auc_score(labels, scores)))
    yield MEASURES["auc"]
    MEASURES.remove("auc")


def test_a_registered_measure_reaches_the_tables_and_the_gate(tmp_path, auc_measure):
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["anomaly"].update(scenes=list(SCENES), pca={"n_components": 4})
    raw["anomaly"]["tca"]["n_components"] = 4
    raw["anomaly"]["beyond"]["variants"] = []  # the features written here are the seed's descriptor only
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(raw))
    rng = np.random.default_rng(0)
    for scene in SCENES:
        write_scene(tmp_path, scene, rng)
    assert main(["--params", str(params_file), "anomaly-gamma"]) == 0
    assert main(["--params", str(params_file), "--no-progress", "anomaly-evaluate"]) == 0
    assert main(["--params", str(params_file), "anomaly-report"]) == 0
    md = (tmp_path / "reports/tables/anomaly/anomaly_auc.md").read_text()
    assert "AUC (%)" in md and md.count("\n| UCSD Ped2 |") + md.count("\n| Train |") == 4
    assert (tmp_path / "reports/tables/anomaly/anomaly_auc.tex").read_text().count("\\\\") >= 5
    from tlbench.reporting.gate import collect

    metrics = collect(Params.load(params_file))
    auc = {k: m for k, m in metrics.items() if k.endswith("/auc")}
    assert len(auc) == 4 * 3 and all(MEASURES[m.measure].direction == "higher" for m in auc.values())
    in_domain = metrics["anomaly/ped2->ped2/raw/auc"].value
    assert in_domain > 90  # anomalies are 3 sigma off: a measure that works sees it
    assert "anomaly/ped2->ped2/raw/eer" in metrics and "anomaly/ped2->train/raw/g_part" in metrics
