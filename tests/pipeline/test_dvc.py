"""dvc.yaml against the code: every stage lists exactly the tlbench modules and templates it imports,
its data folders per profile, and only paths that tlbench/paths.py declares."""
import shutil
import subprocess
from pathlib import PurePath

import pytest
import yaml

from tests.conftest import REPO
from tests.dvc_deps import closure, code_deps, stage_entries
from tlbench import paths


def declared_code(deps: list[str]) -> set[str]:
    return {d for d in deps if d.startswith("tlbench/")}


def missing_and_extra(dvc_yaml) -> dict[str, tuple[set, set]]:
    """{stage: (code it imports that its deps miss, deps it does not import)} for the stages that differ."""
    out = {}
    for stage, (entry, deps) in stage_entries(dvc_yaml).items():
        assert entry, f"stage {stage} does not run `python -m tlbench...`"
        needed, declared = code_deps(entry), declared_code(deps)
        folders = {d for d in declared if (REPO / d).is_dir()}  # a folder dep covers what lies under it
        covered = {n for n in needed if any(n.startswith(f + "/") for f in folders)}
        if needed - covered - declared or declared - folders - needed:
            out[stage] = (needed - covered - declared, declared - folders - needed)
    return out


def test_every_stage_depends_on_exactly_the_code_it_imports():
    assert missing_and_extra(REPO / "dvc.yaml") == {}


def test_the_check_fails_when_a_stage_misses_a_module_it_imports(tmp_path):
    text = (REPO / "dvc.yaml").read_text()
    doctored = tmp_path / "dvc.yaml"
    # ph2_evaluate without the CV protocols it imports, ph2_report with a module it does not import
    text = text.replace("      - tlbench/methods/protocols.py\n", "", 1)
    text = text.replace("  ph2_report:\n    cmd: python -m tlbench.experiments.ph2.report\n    deps:\n",
                        "  ph2_report:\n    cmd: python -m tlbench.experiments.ph2.report\n    deps:\n"
                        "      - tlbench/models/extract.py\n", 1)
    doctored.write_text(text)
    problems = missing_and_extra(doctored)
    assert problems["ph2_evaluate"] == ({"tlbench/methods/protocols.py"}, set())
    assert problems["ph2_report"] == (set(), {"tlbench/models/extract.py"})


def stage_imports(dvc_yaml=REPO / "dvc.yaml") -> dict[str, set[str]]:
    """{stage entry module: the other stages' entry modules it imports, transitively}, for those that do."""
    entries = {entry for entry, _ in stage_entries(dvc_yaml).values()}
    found = {entry: closure(entry) & (entries - {entry}) for entry in entries}
    return {entry: others for entry, others in found.items() if others}


def test_no_stage_imports_another_stage():
    """Shared logic lives in a library module (e.g. experiments/anomaly/common.py): a stage that imports
    another stage re-runs whenever that stage's code changes (hours on the paper profile)."""
    assert stage_imports() == {}


def test_the_stage_import_check_sees_an_import_of_a_stage(tmp_path):
    text = (REPO / "dvc.yaml").read_text()
    # a doctored dvc.yaml that also runs the library the anomaly stages share as a stage of its own
    doctored = tmp_path / "dvc.yaml"
    doctored.write_text(text.replace("python -m tlbench.experiments.anomaly.gamma",
                                     "python -m tlbench.experiments.anomaly.common", 1))
    found = stage_imports(doctored)
    assert "tlbench.experiments.anomaly.common" in found["tlbench.experiments.anomaly.evaluate"]


def test_closure_follows_imports_inside_functions():
    deps = code_deps("tlbench.experiments.ph2.extract")
    assert "tlbench/models/extract.py" in deps  # imported inside run()
    assert "tlbench/reporting/ph2.py" not in deps and "tlbench/methods/protocols.py" not in deps
    assert {"tlbench/templates/table.tex.j2", "tlbench/templates/table.md.j2"} <= \
        code_deps("tlbench.experiments.anomaly.report")


def declared_paths() -> set[str]:
    """Every path tlbench/paths.py declares, with the per-item folders as DVC templates write them."""
    values = {v.as_posix() for v in vars(paths).values() if isinstance(v, PurePath)}
    for experiment in ("ph2", "anomaly", "fusion", "recipes"):
        values |= {paths.tables(experiment).as_posix(), paths.figures(experiment).as_posix()}
    values |= {f"{paths.ANOMALY_FEATURES.as_posix()}/{x}" for x in ("${key}", "${item.source}", "${item.target}")}
    values |= {f"{paths.ANOMALY_MOTION.as_posix()}/${{key}}"}
    for experiment in ("ph2", "anomaly", "fusion", "recipes"):
        values |= {paths.metrics(experiment).as_posix(), paths.provenance(experiment).as_posix(),
                   paths.plots(experiment).as_posix()}
    values |= {f"{paths.plots('fusion').as_posix()}/accuracy.csv"}
    return values


def stage_paths() -> dict[str, set[str]]:
    out = {}
    for name, stage in yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"].items():
        body = stage.get("do", stage)
        entries = body.get("deps", []) + body.get("outs", []) + body.get("metrics", []) + body.get("plots", [])
        out[name] = {next(iter(e)) if isinstance(e, dict) else e for e in entries}
    return out


def test_stage_paths_are_the_ones_tlbench_declares():
    declared = declared_paths()
    for stage, used in stage_paths().items():
        data = {p for p in used if not p.startswith("tlbench/") and not p.startswith("data/${profile}/")}
        assert data <= declared, f"{stage}: {data - declared} not in tlbench/paths.py"
    used_anywhere = set().union(*stage_paths().values())
    internal = {
        paths.DATA,
        paths.FEATURES,
        paths.REPORTS,
        paths.METRICS,
        paths.TABLES,
        paths.FIGURES,
        paths.DOWNLOADS,
        paths.FINETUNE_WORK,
        paths.TIMINGS,
        paths.ANOMALY_FEATURES,
        paths.ANOMALY_SCORES,
        paths.ANOMALY_MOTION,
        paths.RECORDS,
        paths.PROVENANCE,
        paths.PLOTS,
        paths.PH2_TIMING,
        paths.RECIPES_TIMING,
    }
    unused = {p.as_posix() for p in vars(paths).values() if isinstance(p, PurePath)} - used_anywhere - \
        {p.as_posix() for p in internal}
    assert unused == set(), f"paths.py declares paths no stage names: {unused}"


def test_dataset_deps_follow_the_profile_and_the_registry():
    from tlbench.data.registry import DATASETS, SCENES

    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    folders = {d.split("/", 2)[2] for s in stage_paths().values() for d in s if d.startswith("data/${profile}/")}
    assert folders - {"${item}"} <= {d.folder for d in DATASETS.values()}
    assert stages["anomaly_extract"]["foreach"] == {s.name: DATASETS[s.dataset].folder for s in SCENES.values()}
    assert paths.dataset_root("paper", "ph2").as_posix() == "data/paper/PH2Dataset"


def resolved_params(folder, profile: str) -> dict[str, set[str]]:
    """{stage: params keys} as DVC resolves dvc.yaml in a copy of the project with `profile` active."""
    from dvc.repo import Repo

    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    subprocess.run([str(REPO / ".venv/bin/dvc") if (REPO / ".venv/bin/dvc").exists() else "dvc", "init", "-q"],
                   cwd=folder, check=True)
    params = yaml.safe_load((REPO / "params.yaml").read_text()) | {"profile": profile}
    (folder / "params.yaml").write_text(yaml.safe_dump(params))
    shutil.copy(REPO / "dvc.yaml", folder / "dvc.yaml")
    return {s.name: {k for dep in s.params for k in dep.params} for s in Repo(str(folder)).index.stages}


@pytest.mark.skipif(shutil.which("git") is None, reason="dvc needs git")
def test_stages_read_only_the_active_profiles_keys_and_data(tmp_path):
    demo = resolved_params(tmp_path / "demo", "demo")
    assert "profiles.demo.ph2_backbones" in demo["ph2_extract"]
    assert not any(
        k.startswith("profiles.paper") for keys in demo.values() for k in keys
    )  # a paper edit re-runs nothing
    paper = resolved_params(tmp_path / "paper", "paper")
    assert "profiles.paper.ph2_backbones" in paper["ph2_extract"]
    assert not any(k.startswith("profiles.demo") for keys in paper.values() for k in keys)


@pytest.mark.skipif(shutil.which("git") is None, reason="dvc needs git")
def test_no_stage_reruns_when_the_backend_changes_and_reports_track_what_their_provenance_records(tmp_path):
    """Switching extract.backend to ray changes no byte (CI checks it), so no stage may depend on it: a report
    stage that took the whole `extract` section re-ran once after every switch. What a report stage does depend
    on is exactly the extract keys its provenance records."""
    from tlbench.reporting.outputs import NOT_PROVENANCE

    stages = resolved_params(tmp_path / "demo", "demo")
    assert not [s for s, keys in stages.items() if {"extract", "extract.backend"} & keys]
    recorded = {f"extract.{k}" for k in yaml.safe_load((REPO / "params.yaml").read_text())["extract"]
                if k not in NOT_PROVENANCE}
    for stage in ("ph2_report", "anomaly_report", "fusion_report", "recipes_report"):
        assert {k for k in stages[stage] if k.startswith("extract.")} == recorded, stage


def test_the_lock_holds_exactly_the_pipeline_s_stages():
    """DVC keeps a removed stage's entry in dvc.lock, and after every stage it parses and rewrites the whole
    file (a ruamel round trip): 18 stale entries were 40 % of it, ~1.1 s of every stage (reports/MEASUREMENTS.md)."""
    from dvc.repo import Repo

    with Repo(str(REPO)) as repo:
        stages = {stage.addressing.split(":")[-1] for stage in repo.index.stages}
    locked = set(yaml.safe_load((REPO / "dvc.lock").read_text())["stages"])
    assert locked - stages == set(), "stale entries in dvc.lock: delete them (their stages are gone)"
    assert stages - locked == set(), "stages missing from dvc.lock: run `dvc repro` and commit dvc.lock"


def test_the_lock_records_the_code_in_the_tree():
    """The committed results were made by the committed code: every code file a stage's lock entry names has
    the md5 and the size recorded there. A stale entry makes a clean clone skip a stage on its first `dvc
    repro` and rewrite the lock on the next (CI's byte-identity check failed on a size left behind)."""
    import hashlib

    stale = []
    for stage, entry in yaml.safe_load((REPO / "dvc.lock").read_text())["stages"].items():
        for dep in entry.get("deps", []):
            path = REPO / dep["path"]
            if not dep["path"].startswith("tlbench/") or not path.is_file():
                continue
            data = path.read_bytes()
            if (dep.get("md5"), dep.get("size")) != (hashlib.md5(data).hexdigest(), len(data)):
                stale.append(f"{stage}: {dep['path']}")
    assert not stale, f"dvc.lock is stale for {stale}: run `dvc repro` and commit dvc.lock"


def test_the_lock_records_the_committed_results():
    """Every tracked file a lock entry names outside the code (the stages' uncached records, metrics, tables)
    has the md5 recorded there: a stage re-run on another machine (whose last digits differ) must not slip
    its outputs into a commit beside the lock of the committed ones (it once did: recipes.json)."""
    import hashlib

    tracked = set(subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                                 check=True).stdout.split())
    named, stale = 0, []
    for stage, entry in yaml.safe_load((REPO / "dvc.lock").read_text())["stages"].items():
        for item in entry.get("outs", []) + entry.get("deps", []):
            if item["path"] in tracked and not item["path"].startswith("tlbench/"):
                named += 1
                if hashlib.md5((REPO / item["path"]).read_bytes()).hexdigest() != item.get("md5"):
                    stale.append(f"{stage}: {item['path']}")
    assert named >= 10  # the metrics and records files are tracked: the check covers them
    assert not stale, f"tracked files differ from dvc.lock for {stale}: restore them or re-run and commit the lock"
