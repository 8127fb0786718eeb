import json

import pytest
import yaml

from tests.conftest import REPO
from tlbench.cli import main
from tlbench.errors import TlbenchError
from tlbench.reporting.experiments import Metric
from tlbench.reporting.gate import compare, markdown

RULES = {"ph2": {"abs": 0.5}, "anomaly": {"abs": 0.5}, "fusion": {"rel": 0.1}}
MEASURE = {"ph2": "balanced_accuracy", "anomaly": "eer", "fusion": "accuracy", "recipes": "accuracy"}


def metrics(values: dict[str, float]) -> dict[str, Metric]:
    """Current metrics with the measure (and so the direction) of their family."""
    return {k: Metric(k, v, MEASURE[k.split("/")[0]]) for k, v in values.items()}


def test_directions_and_tolerances():
    base = {"ph2/a": 90.0, "ph2/b": 90.0, "anomaly/x": 20.0, "anomaly/y": 20.0, "fusion/f": 50.0, "ph2/same": 1.0}
    cur = {"ph2/a": 89.0, "ph2/b": 89.8, "anomaly/x": 21.0, "anomaly/y": 18.0, "fusion/f": 46.0, "ph2/same": 1.0}
    rows, failed = compare(metrics(cur), base, RULES)
    status = {r["metric"]: r["status"] for r in rows}
    assert failed
    assert status == {"ph2/a": "regression", "ph2/b": "within tolerance", "anomaly/x": "regression",
                      "anomaly/y": "improvement", "fusion/f": "within tolerance"}  # 4 < 10 % of 50


def test_missing_metric_fails_and_new_metric_does_not():
    rows, failed = compare(metrics({"ph2/new": 1.0}), {"ph2/old": 1.0}, RULES)
    assert failed and {r["status"] for r in rows} == {"new", "missing"}
    rows, failed = compare(metrics({"ph2/new": 1.0, "ph2/old": 1.0}), {"ph2/old": 1.0}, RULES)
    assert not failed
    with pytest.raises(TlbenchError, match="no entry for metric family 'recipes'"):
        compare(metrics({"recipes/FE1": 1.0}), {"recipes/FE1": 2.0}, RULES)


def test_markdown_table_lists_what_moved():
    rows, _ = compare(metrics({"ph2/a": 80.0}), {"ph2/a": 90.0}, RULES)
    text = markdown(rows, 1, "base.json")
    assert "| ph2/a | 90 | 80 | -10 | **regression** |" in text
    assert markdown([], 7, "base.json") == "All 7 metrics equal the baseline (base.json)."


def test_check_command_exit_codes(tmp_path, capsys):
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    metrics = tmp_path / "reports/metrics"
    metrics.mkdir(parents=True)
    values = {"ph2/lite/-2/three_class/paper/accuracy": 90.0, "ph2/lite/-2/three_class/paper/std": 1.0}
    (metrics / "ph2.json").write_text(json.dumps(values))
    p = ["--params", str(tmp_path / "params.yaml"), "check"]
    assert main(p) == 2 and "create it deliberately with `tlbench check --update`" in capsys.readouterr().err
    assert main(p + ["--update"]) == 0
    assert main(p) == 0 and "All 2 metrics equal the baseline" in capsys.readouterr().out
    values["ph2/lite/-2/three_class/paper/accuracy"] = 85.0
    (metrics / "ph2.json").write_text(json.dumps(values))
    assert main(p) == 1 and "**regression**" in capsys.readouterr().out


def test_metric_names_end_in_their_measure():
    from tlbench.reporting.outputs import measure_of

    assert measure_of("anomaly/ped1->ped2/raw/eer") == "eer"
    assert measure_of("ph2/resnet50/-2/three_class/paper/accuracy") == "accuracy"
    with pytest.raises(TlbenchError, match="does not end in a registered measure"):
        measure_of("ph2/resnet50/-2/three_class/paper/mean")


def test_committed_metrics_files_are_flat_numbers_and_declared_in_dvc_yaml():
    """What `dvc metrics show` lists is what `tlbench check` gates: one flat file of numbers per experiment."""
    from tlbench import paths
    from tlbench.reporting.experiments import EXPERIMENTS
    from tlbench.reporting.outputs import measure_of

    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    declared = {next(iter(m)) if isinstance(m, dict) else m for s in stages.values() for m in s.get("metrics", [])}
    assert declared == {paths.metrics(name).as_posix() for name in EXPERIMENTS}
    for path in declared:
        values = json.loads((REPO / path).read_text())
        assert values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values.values()), path
        assert all(measure_of(k) for k in values)
