"""tlbench/records.py and reporting/report.py: each experiment's records load through one typed loader, and its
report (one `ExperimentReport` per experiment) computes the committed metrics from those records alone."""
import ast
import json
import shutil

import pytest

from tests.conftest import REPO
from tlbench import paths, records
from tlbench.errors import TlbenchError
from tlbench.params import Params
from tlbench.reporting.experiments import EXPERIMENTS
from tlbench.reporting.report import ExperimentReport


@pytest.fixture(scope="module")
def params() -> Params:
    return Params.load(REPO / "params.yaml")


def report_of(name: str) -> ExperimentReport:
    import importlib

    importlib.import_module(f"tlbench.reporting.{name}")
    return EXPERIMENTS.impl(name)


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_metrics_from_the_committed_records_equal_the_committed_metrics_file(params, name):
    report = report_of(name)
    assert isinstance(report, ExperimentReport) and report.name == name
    loaded = records.load(params, name)
    assert isinstance(loaded, records.RECORDS[name])
    committed = json.loads((REPO / paths.metrics(name)).read_text())
    assert report.metrics(loaded, params) == committed


def test_a_missing_record_names_the_file_and_the_stage_that_writes_it(tmp_path):
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    with pytest.raises(TlbenchError, match=r"ph2_folds\.jsonl not found: run the ph2_evaluate stage"):
        records.load(Params.load(tmp_path / "params.yaml"), "ph2")
    with pytest.raises(TlbenchError, match=r"no records for experiment 'ph3'; known: ph2, anomaly"):
        records.load(Params.load(tmp_path / "params.yaml"), "ph3")


def test_the_provenance_comes_from_the_records_with_the_versions_they_recorded(params):
    for name in EXPERIMENTS:
        record, versions = report_of(name).provenance(records.load(params, name), params)
        committed = json.loads((REPO / paths.provenance(name)).read_text())
        assert versions == committed["versions"]
        assert all(committed[k] == v for k, v in record.items())


def test_every_report_stage_is_the_one_writer_and_its_experiment_report():
    """No report stage keeps its own loading or writing: each calls `write_report` with its module's REPORT."""
    for name in EXPERIMENTS:
        tree = ast.parse((REPO / "tlbench" / "experiments" / name / "report.py").read_text())
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "write_report"]
        assert [ast.unparse(c) for c in calls] == ["write_report(params, REPORT)"], name
        imported = {(n.module, a.name) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert (f"reporting.{name}", "REPORT") in imported, name


@pytest.mark.parametrize("row_type, path, stage", [
    (records.Ph2Fold, paths.PH2_FOLDS, "ph2_evaluate"), (records.FusionSplit, paths.FUSION_RESULTS, "fusion_evaluate"),
])
def test_typed_rows_write_the_bytes_they_were_read_from(tmp_path, row_type, path, stage):
    from tlbench.io import read_jsonl

    rows = records.typed_rows(row_type, read_jsonl(REPO / path), REPO / path, stage)
    assert rows and all(isinstance(r, row_type) for r in rows)
    written = records.write_rows(tmp_path / "rows.jsonl", rows)
    assert written.read_bytes() == (REPO / path).read_bytes()


def test_a_row_with_a_missing_or_unknown_field_names_the_file_the_fields_and_the_stage(tmp_path):
    from tlbench.io import read_jsonl

    row = read_jsonl(REPO / paths.PH2_FOLDS)[0]
    row.pop("fold")
    row["folds"] = 3
    with pytest.raises(TlbenchError, match=r"x\.jsonl: row 2 lacks \['fold'\] and has unknown \['folds'\] "
                                           r"\(Ph2Fold\): re-run the ph2_evaluate stage"):
        records.typed_rows(records.Ph2Fold, [read_jsonl(REPO / paths.PH2_FOLDS)[0], row], tmp_path / "x.jsonl",
                           "ph2_evaluate")


def test_the_recipes_record_writes_the_bytes_it_was_read_from(params, tmp_path):
    from tlbench.io import write_json

    record = records.load(params, "recipes")
    assert all(isinstance(r, records.RecipeResult) for r in record.results)
    assert any(r.std is None for r in record.results) and any(r.std is not None for r in record.results)
    written = write_json(tmp_path / "recipes.json", record.as_dict())
    assert written.read_bytes() == (REPO / paths.RECIPES_RESULTS).read_bytes()


def test_anomaly_rows_are_checked_against_their_keys_and_the_registered_measures(params, tmp_path):
    from tlbench.io import read_json

    path = REPO / paths.ANOMALY_RECORDS / "ped1__ped2.json"
    rows = read_json(path)["rows"]
    assert records.checked_mappings(records.AnomalyRow, rows, path, "anomaly_evaluate", records._measure_keys()) == rows
    doctored = [dict(rows[0], eer_typo=1.0)]
    doctored[0].pop("space")
    with pytest.raises(TlbenchError, match=r"row 1 lacks \['space'\] and has unknown \['eer_typo'\] \(AnomalyRow\): "
                                           r"re-run the anomaly_evaluate stage"):
        records.checked_mappings(records.AnomalyRow, doctored, path, "anomaly_evaluate", records._measure_keys())
