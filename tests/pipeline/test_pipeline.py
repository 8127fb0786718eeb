"""The PH2 stages end to end through the command line, on a tiny demo configuration."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.conftest import REPO
from tlbench.cli import main
from tlbench.data.registry import SCENES
from tlbench.io import read_csv, read_json, read_jsonl


def write_params(tmp_path, **changes):
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    d = params["demo_data"]
    d["ph2"].update(counts=[8, 8, 8], size=[96, 72], size_jitter=2)
    d["fruits360"].update(train_per_class=3, test_per_class=2)
    d["supermarket"].update(per_class=3, size=[64, 48])
    d["ucsd"].update(train_clips=2, test_clips=2, frames_per_clip=12)
    d["york"].update(n_frames=40, size=[64, 48], anomalies={"belleview": [[25, 30]], "train": [[30, 35]]})
    d["cifar10"].update(train_per_class=5, test_per_class=2)
    params["profiles"]["demo"]["york_protocol"] = {"belleview": {"train": [0, 19], "test": [20, None]},
                                                   "train": {"train": [0, 19], "test": [25, None]}}
    params["ph2"].update(layers=[-2, -5], n_folds=4)
    params["extract"].update(batch_size=8, num_workers=0)
    params["anomaly"]["pca"]["n_components"] = 8
    params["anomaly"]["tca"]["n_components"] = 8
    params["profiles"]["demo"]["finetune"].update(epochs=1)
    params["finetune"].update(batch_size=8, num_workers=0)
    params["fusion"].update(n_components=[8, 4], seeds=[0, 1])
    params["profiles"]["demo"]["fusion"]["test_size"] = 0.5  # of the tiny twin's 18 images: every class on each side
    params["profiles"]["demo"]["recipes"]["fraction"] = 0.5  # of the tiny twin: 25 + 10 images
    params["recipes"].update(pca=8, knn={"k": 3, "folds": 2})
    params["recipes"]["finetune"]["epochs"] = 2
    params["recipes"]["autoencoder"]["epochs"] = 2
    for dotted, value in changes.items():
        node = params
        *parents, last = dotted.split(".")
        for p in parents:
            node = node[p]
        node[last] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def run(params, *stages):
    for stage in stages:
        assert main(["--params", str(params), "--no-progress", stage]) == 0, stage


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    params = write_params(tmp)
    run(params, "demo-data", "ph2-extract", "ph2-evaluate", "ph2-report")
    for scene in ["ped1", "ped2", "belleview", "train"]:
        assert main(["--params", str(params), "--no-progress", "anomaly-extract", scene]) == 0
        assert main(["--params", str(params), "--no-progress", "anomaly-motion", scene]) == 0
    assert main(["--params", str(params), "anomaly-gamma"]) == 0
    assert main(["--params", str(params), "--no-progress", "anomaly-evaluate"]) == 0
    assert main(["--params", str(params), "--no-progress", "anomaly-beyond"]) == 0
    run(params, "anomaly-report")
    run(
        params,
        "fusion-finetune",
        "fusion-extract",
        "fusion-evaluate",
        "fusion-report",
        "recipes-evaluate",
        "recipes-report",
    )
    return tmp, params


def test_stages_write_features_metrics_tables_and_figures(demo_run):
    tmp, _ = demo_run
    rows = [r for r in read_jsonl(tmp / "reports/records/ph2_folds.jsonl") if r["backbone"] == "efficientnet_lite0"]
    assert len(rows) == 2 * 2 * 2 * 4  # layers x tasks x protocols x folds
    assert {r["node"] for r in rows} == {"global_pool.flatten", "blocks.6"}
    assert all(0 <= r["balanced_accuracy"] <= 1 for r in rows)
    summary = read_json(tmp / "reports/records/ph2_summary.json")
    assert set(summary["ph2_layers"]["efficientnet_lite0"]) == {"-2", "-5"}
    assert summary["provenance"]["seed"] == 0 and summary["provenance"]["versions"]["torch"]
    md = (tmp / "reports/tables/ph2/ph2_layers_three_class.md").read_text()
    tex = (tmp / "reports/tables/ph2/ph2_layers_melanoma_vs_rest.tex").read_text()
    assert "EfficientNet-Lite0" in md and "ResNet50" in md  # ours beside the published
    assert tex.count(r"\begin{table*}") == 1 and "Synthetic demo data" in tex
    metrics = read_json(tmp / "reports/metrics/ph2.json")
    assert (
        metrics["ph2/efficientnet_lite0/-2/three_class/paper/accuracy"]
        == summary["ph2_layers"]["efficientnet_lite0"]["-2"]["three_class"]["paper"]["mean"]
    )
    assert (tmp / "reports/figures/ph2/ph2_layers.png").stat().st_size > 1000
    assert (
        read_json(tmp / "reports/timings/ph2_extract_rates.json")["ph2_extract"]["efficientnet_lite0"]["images"] == 24
    )
    assert not list(tmp.rglob(".tlbench-tmp-*"))


def test_data_check_finds_every_demo_twin(demo_run, capsys):
    _, params = demo_run
    assert main(["--params", str(params), "data", "check"]) == 0
    out = capsys.readouterr().out
    for key in ("ph2", "fruits360", "supermarket", "ucsd_ped1", "ucsd_ped2", "york_belleview", "york_train", "cifar10"):
        assert f"{key} " in out
    assert out.count(" found ") == 8


def test_data_check_names_what_is_missing_in_the_paper_profile(tmp_path, capsys):
    params = write_params(tmp_path, profile="paper")
    assert main(["--params", str(params), "data", "check"]) == 1
    out = capsys.readouterr().out
    assert out.count(" missing ") == 6  # one row per dataset (the video ones hold two scenes)
    assert "tlbench data fetch ucsd" in out and "Mendonça" in out
    assert str(tmp_path / "data/paper/PH2Dataset") in out


def test_two_runs_give_identical_metrics(demo_run):
    from tlbench.params import Params
    from tlbench.reporting.gate import collect

    tmp, params = demo_run
    before_folds = (tmp / "reports/records/ph2_folds.jsonl").read_bytes()
    before = collect(Params.load(params))
    assert {name.split("/")[0] for name in before} == {"ph2", "anomaly", "fusion", "recipes"}
    run(params, "demo-data", "ph2-extract", "ph2-evaluate")
    for scene in ("ped2", "train"):
        assert main(["--params", str(params), "--no-progress", "anomaly-extract", scene]) == 0
    assert main(["--params", str(params), "anomaly-gamma"]) == 0
    assert main(["--params", str(params), "--no-progress", "anomaly-evaluate"]) == 0
    run(params, "fusion-finetune", "fusion-extract", "fusion-evaluate", "recipes-evaluate")
    run(params, "ph2-report", "anomaly-report", "fusion-report", "recipes-report")  # rewrite the metrics files
    assert (tmp / "reports/records/ph2_folds.jsonl").read_bytes() == before_folds
    assert collect(Params.load(params)) == before


def test_provenance_names_the_versions_recorded_by_the_stage_that_computed_the_numbers(demo_run):
    """DVC skips a report stage whose records did not change, so versions read by the report itself went stale
    after a library upgrade and changed only on a forced rerun (a red CI: `dvc repro -f` churned recipes.json)."""
    import json

    tmp, params = demo_run
    recorded = {"anomaly": read_json(tmp / "reports/records/anomaly/ped1__ped1.json")["versions"],
                "ph2": read_json(tmp / "reports/records/ph2_summary.json")["provenance"]["versions"],
                "fusion": read_json(tmp / "reports/records/fusion_summary.json")["versions"],
                "recipes": read_json(tmp / "reports/records/recipes.json")["versions"]}
    for experiment, versions in recorded.items():
        assert read_json(tmp / f"reports/provenance/{experiment}.json")["versions"] == versions, experiment
    path = tmp / "reports/records/recipes.json"
    original = path.read_bytes()
    try:
        record = read_json(path)
        record["versions"]["numpy"] = "0.0+recorded"
        path.write_text(json.dumps(record))
        run(params, "recipes-report")
        assert read_json(tmp / "reports/provenance/recipes.json")["versions"]["numpy"] == "0.0+recorded"
    finally:
        path.write_bytes(original)
        run(params, "recipes-report")


def test_paper_profile_without_the_dataset_fails_early(tmp_path, capsys):
    params = write_params(tmp_path, profile="paper")
    assert main(["--params", str(params), "ph2-extract"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tlbench: error: PH2 folder") and str(tmp_path / "data/paper/PH2Dataset") in err
    assert "PH2_dataset.txt exists" in err and err.count("\n") == 1
    assert not (tmp_path / "data").exists()


def test_unknown_layer_in_params_fails_before_any_work(tmp_path, capsys):
    params = write_params(tmp_path, **{"ph2.layers": [-2, "layer9"]})
    assert main(["--params", str(params), "demo-data"]) == 2
    assert "unknown layer 'layer9' for backbone 'efficientnet_lite0'" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_missing_params_file(tmp_path, capsys):
    assert main(["--params", str(tmp_path / "nope.yaml"), "ph2-report"]) == 2
    assert "nope.yaml not found" in capsys.readouterr().err


def test_dvc_stages_depend_on_exactly_their_params():
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    params = {name: set(s.get("params", s.get("do", {}).get("params", []))) for name, s in stages.items()}
    # changing only the SVM's C re-runs evaluation and report, nothing upstream
    assert "ph2.svm" in params["ph2_evaluate"]
    for upstream in ("demo_data", "ph2_extract"):
        assert not any(p == "ph2" or p.startswith("ph2.svm") or p == "seed" and upstream == "ph2_extract"
                       for p in params[upstream])
    assert stages["ph2_evaluate"]["deps"][0] == "data/features/ph2"
    # only the active profile's keys
    assert not any("profiles.demo" in p or "profiles.paper" in p for ps in params.values() for p in ps)
    # every stage command is a stage module the CLI knows too
    from tlbench.cli import stage_modules

    for stage in stages.values():
        assert (stage.get("cmd") or stage["do"]["cmd"]).split()[2] in stage_modules().values()
    # scenes and pairs are templated, so that adding a scene re-runs only what it touches
    assert set(stages["anomaly_extract"]["foreach"]) == set(SCENES)
    assert "anomaly.scenes" in stages["anomaly_evaluate"]["params"]  # every pair, in one stage
    assert "anomaly.detector" in stages["anomaly_evaluate"]["params"]
    assert not any(p.startswith("anomaly.") and p not in ("anomaly.layer", "anomaly.pooling", "anomaly.train_stride",
                                                          "anomaly.beyond.variants", "anomaly.beyond.patch_dtype")
                   for p in stages["anomaly_extract"]["do"]["params"])
    # the detectors beyond the seed re-run neither the extraction nor the motion descriptor
    assert "anomaly.beyond" in stages["anomaly_beyond"]["params"]
    assert not any(p.startswith("anomaly.beyond") for p in stages["anomaly_motion"]["do"]["params"])


def test_anomaly_stages_write_every_pair_and_the_seed_tables(demo_run):
    tmp, _ = demo_run
    rows = [r for f in sorted((tmp / "reports/records/anomaly").glob("*.json")) for r in read_json(f)["rows"]]
    assert len(rows) == 16 * 3
    assert {(r["source"], r["target"]) for r in rows} == {(s, t) for s in SCENES for t in SCENES}
    assert all(0 <= r["eer"] <= 100 and r["n_anomalous"] > 0 for r in rows)
    md = (tmp / "reports/tables/anomaly/anomaly_eer.md").read_text()
    assert md.count("\n| ") == 17 and "51.40" in md  # 16 pairs + header; the seed's Ped1 -> Ped1
    for stem in ("anomaly_cdfg_partial", "anomaly_cdfg_complete"):
        assert (tmp / f"reports/tables/anomaly/{stem}.tex").read_text().count("\\\\") >= 6
    assert "Suspected errata" in (tmp / "reports/tables/anomaly/anomaly_seed_check.md").read_text()
    for target in SCENES:
        assert (tmp / f"reports/figures/anomaly/anomaly_roc_det_{target}.png").stat().st_size > 10000
    roc = read_csv(tmp / "reports/plots/anomaly/roc/ped2__train.csv")
    assert len(roc) == 101 and roc[0]["fpr"] == 0 and roc[-1]["raw"] == 1  # the ROC data of `dvc plots`


def test_patch_grid_frame_descriptor(demo_run, tmp_path):
    from tlbench.io import load_meta
    from tlbench.params import Params

    _, params = demo_run
    raw = yaml.safe_load(params.read_text())
    raw["anomaly"].update(layer=-5, pooling="grid2")
    p = params.with_name("params_grid.yaml")
    p.write_text(yaml.safe_dump(raw))
    assert main(["--params", str(p), "--no-progress", "anomaly-extract", "ped2"]) == 0
    meta = load_meta(Params.load(p).resolve_path("data/features/anomaly/ped2/train"))
    assert meta["layers"][0]["pooling"] == "grid2" and meta["layers"][0]["n_features"] == 320 * 4


def test_unknown_scene_and_missing_features(demo_run, tmp_path, capsys):
    _, params = demo_run
    (tmp_path / "typo").mkdir()
    assert main(["--params", str(write_params(tmp_path / "typo", **{"anomaly.scenes": ["ped3", "ped1"]})),
                 "anomaly-evaluate"]) == 2
    assert "ped3" in capsys.readouterr().err
    fresh = write_params(tmp_path)
    assert main(["--params", str(fresh), "--no-progress", "anomaly-evaluate"]) == 2
    assert "meta.json not found: run `dvc repro -s -f anomaly_extract@" in capsys.readouterr().err


def test_fusion_stages_write_table7(demo_run):
    tmp, _ = demo_run
    rows = read_jsonl(tmp / "reports/records/fusion.jsonl")
    assert len(rows) == 2 * 4 * 2  # seeds x columns x sizes
    assert {r["column"] for r in rows} == {"global", "block1", "block2", "block3"}
    assert rows[0]["n_train"] == 9 and rows[0]["n_test"] == 9
    md = (tmp / "reports/tables/fusion/fusion.md").read_text()
    assert "| Avg. |" in md and "30.79" in md  # the seed's average beside ours
    meta = read_json(tmp / "data/features/fusion/supermarket/meta.json")
    widths = {l["node"]: l["n_features"] for l in meta["layers"]}
    assert widths == {"global_pool.flatten": 1280, "blocks.1": 24, "blocks.2": 40, "blocks.3": 80}  # pooled maps
    assert "fine-tuned on Fruits-360" in meta["weights_id"] and "fp32" in meta["weights_id"]  # its precision
    assert len(read_csv(tmp / "reports/plots/fusion/finetune_history.csv")) == 1
    metrics = read_json(tmp / "reports/metrics/fusion.json")
    n = rows[0]["n_components"]
    assert metrics[f"fusion/block1/{n}/accuracy"] == pytest.approx(
        np.mean([100 * r["accuracy"] for r in rows if r["column"] == "block1" and r["n_components"] == n]), abs=1e-4
    )
    assert all(isinstance(v, float | int) for v in metrics.values())


def test_recipes_stage_writes_every_recipe(demo_run):
    tmp, _ = demo_run
    out = read_json(tmp / "reports/records/recipes.json")
    assert [r["recipe"] for r in out["results"]] == ["FE1", "FE2", "FE3", "FE3b", "Fine-tuning", "Autoencoder"]
    assert out["n_train"] == 25 and out["n_test"] == 10
    assert all(0 <= r["mean"] <= 1 for r in out["results"]) and "std" in out["results"][0]
    assert len(out["finetune_history"]) == 2 and len(out["autoencoder_loss"]) == 2
    assert "| FE1 |" in (tmp / "reports/tables/recipes/recipes.md").read_text()


@pytest.mark.parametrize("stage, records", [
    ("ph2-evaluate", ("reports/records/ph2_folds.jsonl", "reports/records/ph2_summary.json")),
    ("fusion-evaluate", ("reports/records/fusion.jsonl", "reports/records/fusion_summary.json")),
    ("anomaly-beyond", tuple(f"reports/records/anomaly_beyond/{s}__{t}.json" for s in SCENES for t in SCENES)
     + ("reports/records/anomaly_beyond_selection.json",))])
def test_stage_jobs_on_ray_give_byte_identical_records(demo_run, stage, records):
    """The PH2 layers, the fusion splits and the pairs beyond the seed as Ray tasks (the seed's anomaly pairs:
    tests/unit/test_scale.py)."""
    ray = pytest.importorskip("ray")
    tmp, params = demo_run
    before = {f: (tmp / f).read_bytes() for f in records}
    raw = yaml.safe_load(Path(params).read_text())
    raw["extract"]["backend"] = "ray"
    raw["ray"].update(address="local", num_cpus=2)
    on_ray = tmp / "params_ray.yaml"
    on_ray.write_text(yaml.safe_dump(raw))
    try:
        assert main(["--params", str(on_ray), "--no-progress", stage]) == 0
    finally:
        ray.shutdown()
    assert {f: (tmp / f).read_bytes() for f in before} == before


def test_beyond_the_seed_variants_fill_extra_column_groups(demo_run):
    from tlbench.params import Params

    tmp, params = demo_run
    rows = [r for f in sorted((tmp / "reports/records/anomaly_beyond").glob("*.json")) for r in read_json(f)["rows"]]
    assert len(rows) == 16 * 3 * 3  # pairs x spaces x variants
    assert {r["variant"] for r in rows} == {"patch_knn", "motion", "appearance_motion"}
    assert all(0 <= r["eer"] <= 100 and 0 <= r["smoothed"]["eer"] <= 100 for r in rows)
    assert all(r["n_held_out"] > 0 and r["n_fit"] > r["n_held_out"] for r in rows)
    motion = read_json(tmp / "data/features/anomaly_motion/ped1/train/meta.json")
    assert motion["grid"] == [10, 15] and motion["dims"] == 9  # 360x240 in cells of 24 pixels, 8 bins + max
    features = read_json(tmp / "data/features/anomaly/ped1/test/meta.json")
    assert (
        [l["node"] for l in features["layers"]]
        == Params.load(params).anomaly_nodes()
        == ["global_pool.flatten", "blocks.4"]
    )
    assert [l["dtype"] for l in features["layers"]] == ["float32", "float16"]  # anomaly.beyond.patch_dtype
    assert np.load(tmp / "data/features/anomaly/ped1/test/blocks.4.npy", mmap_mode="r").dtype == np.float16
    assert "†" not in (tmp / "reports/tables/anomaly/anomaly_eer.md").read_text()  # Table 1 keeps the seed's width
    for space in ("raw", "pca", "tca"):
        md = (tmp / f"reports/tables/anomaly/anomaly_beyond_{space}.md").read_text()
        header = next(line for line in md.splitlines() if line.startswith("| Source"))
        assert (
            header.count("Patch kNN†") == 2
            and "seed" in header
            and header.count("Motion kNN†") == 2
            and header.count("Patch + motion†") == 2
        )
        cdfg = (tmp / f"reports/tables/anomaly/anomaly_beyond_{space}_cdfg.md").read_text()
        assert md.count("\n| ") == 1 + 16 and cdfg.count("\n| ") == 1 + 2 + 12 + 6  # EER apart from CDFG: a page each
        assert "greedy coreset, 1% of the training patches" in md and "mean over 9 frames" in md
    tex = (tmp / "reports/tables/anomaly/anomaly_beyond_tca_cdfg.tex").read_text()
    assert r"$^\dagger$" in tex and r"$G_\mathrm{part}$" in tex and "textdagger" not in tex
    methods = (tmp / "reports/tables/anomaly/methods.tex").read_text()
    assert r"\ref{tab:tlbench-anomaly-beyond-raw}" in methods and "greedy coreset" in methods
    metrics = read_json(tmp / "reports/metrics/anomaly.json")
    ped2 = next(
        r for r in rows if (r["variant"], r["source"], r["target"], r["space"]) == ("motion", "ped2", "ped2", "raw")
    )
    assert metrics["anomaly/beyond/motion/ped2->ped2/raw/eer"] == ped2["eer"]
    assert metrics["anomaly/beyond/motion/smoothed/ped2->ped2/raw/eer"] == ped2["smoothed"]["eer"]
    assert "anomaly/beyond/appearance_motion/ped1,ped2/tca/g_comp" in metrics
    assert (tmp / "reports/figures/anomaly/anomaly_motion_eer_heatmap.png").is_file()


def test_the_declared_selection_scores_every_pair_beside_the_configured_settings(demo_run):
    """Leave one scene out (anomaly.beyond.selection): one setting per variant, space and target, used for
    every source -> target pair; the table puts it beside the configured (smoothed) in-domain EER."""
    tmp, _ = demo_run
    selection = read_json(tmp / "reports/records/anomaly_beyond_selection.json")
    rows = selection["rows"]
    assert selection["protocol"] == "leave_one_scene_out" and len(rows) == 16 * 3 * 3
    for key in {(r["variant"], r["space"], r["target"]) for r in rows}:
        into = [r for r in rows if (r["variant"], r["space"], r["target"]) == key]
        assert (
            len(into) == 4 and len({r["setting_text"] for r in into}) == 1 and len({r["criterion"] for r in into}) == 1
        )
    assert all(0 <= r["eer"] <= 100 for r in rows)
    fused = next(r for r in rows if r["variant"] == "appearance_motion")
    assert fused["setting"]["motion_share"] in (0.25, 0.5, 0.75) and set(fused["cells"]) == {"appearance", "motion"}
    beyond = read_json(tmp / "reports/records/anomaly_beyond/ped2__ped2.json")["rows"]
    configured = next(r for r in beyond if (r["variant"], r["space"]) == ("motion", "raw"))["smoothed"]["eer"]
    picked = next(
        r for r in rows if (r["variant"], r["space"], r["source"], r["target"]) == ("motion", "raw", "ped2", "ped2")
    )
    md = (tmp / "reports/tables/anomaly/anomaly_beyond_selection.md").read_text()
    assert f"| UCSD Ped2 | {configured:.2f} | {picked['eer']:.2f} |" in md and "never the target's test labels" in md
    assert picked["setting_text"] in (tmp / "reports/tables/anomaly/anomaly_beyond_selected_settings.md").read_text()
    metrics = read_json(tmp / "reports/metrics/anomaly.json")
    assert metrics["anomaly/beyond_selected/motion/ped2->ped2/raw/eer"] == picked["eer"]


def test_ph2_sweeps_beyond_the_seed_get_their_own_marked_sections(demo_run):
    tmp, _ = demo_run
    rows = read_jsonl(tmp / "reports/records/ph2_folds.jsonl")
    sweeps = ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite0+tta"]  # profiles.demo.ph2_beyond
    assert list(dict.fromkeys(r["backbone"] for r in rows)) == sweeps
    tta = read_json(tmp / "data/features/ph2/efficientnet_lite0+tta/meta.json")
    plain = read_json(tmp / "data/features/ph2/efficientnet_lite0/meta.json")
    assert tta["tta"] == ["hflip"] and plain["tta"] == []
    assert tta["preprocessing"]["size"] == plain["preprocessing"]["size"] == 224
    assert read_json(tmp / "data/features/ph2/efficientnet_lite1/meta.json")["preprocessing"]["size"] == 240  # native
    seed = (tmp / "reports/tables/ph2/ph2_layers_melanoma_vs_rest.md").read_text()
    md = (tmp / "reports/tables/ph2/ph2_layers_melanoma_vs_rest_beyond.md").read_text()
    assert "| *EfficientNet-Lite0* |" in seed and "†" not in seed.split("\n\n")[1] and "| Published |" not in md
    assert "| *EfficientNet-Lite1†* |" in md and "| *EfficientNet-Lite0 + TTA†* |" in md
    assert "Beyond the seed (profiles.demo.ph2_beyond)" in md and "| Δ |" not in md  # no empty Published/Δ columns
    assert "| Δ |" not in seed and "| Published |" in seed  # the demo's CNN is not a published one: Δ would be empty
    transfer = (tmp / "reports/tables/ph2/ph2_transferability_three_class.md").read_text()
    assert "| *EfficientNet-Lite0* |" in transfer and "| *EfficientNet-Lite1†* |" in transfer
    metrics = read_json(tmp / "reports/metrics/ph2.json")
    assert "ph2/efficientnet_lite0+tta/-2/melanoma_vs_rest/stratified/balanced_accuracy" in metrics


def test_position_aware_neighbourhoods_know_each_descriptors_grid(demo_run, tmp_path):
    """neighbourhood: 1 needs the cells' grid: 14 x 14 for Lite0 blocks.4, 10 x 15 for the motion cells."""
    from tlbench.experiments.anomaly.beyond import evaluate_pair, load_pair
    from tlbench.params import Params

    _, params = demo_run
    raw = yaml.safe_load(params.read_text())
    for knn in ("patch_knn", "motion_knn"):
        raw["anomaly"]["beyond"][knn].update(position="aware", neighbourhood=1)
    raw["anomaly"]["spaces"] = ["raw"]
    p = params.with_name("params_neighbourhood.yaml")
    p.write_text(yaml.safe_dump(raw))
    loaded = Params.load(p)
    assert load_pair(loaded, "ped2", "ped2")["grid"] == {"appearance": (14, 14), "motion": (10, 15)}
    record, _, grid = evaluate_pair(loaded, "ped2", "ped2")
    assert len(record["rows"]) == 3 and all(0 <= r["eer"] <= 100 for r in record["rows"])
    assert grid["raw"]["motion"]["test"].shape[1] == 3 * 4  # the selection grid's k x top cells


def test_every_demo_table_says_it_is_synthetic_and_the_eer_table_has_intervals(demo_run):
    """A demo table without "synthetic demo data" reads as a real result (anomaly_transferability lacked it);
    the seed check is about the published tables, not our numbers."""
    tmp, _ = demo_run
    tables = sorted((tmp / "reports/tables").glob("*/*.md"))
    lacking = [t.name for t in tables if "Synthetic demo data" not in t.read_text()
               and t.stem not in ("anomaly_seed_check", "methods")]  # methods: the protocol, not a result
    assert len(tables) > 20 and lacking == []
    rows = [r for f in sorted((tmp / "reports/records/anomaly").glob("*.json")) for r in read_json(f)["rows"]]
    assert all(r["eer_ci"][0] <= r["eer"] <= r["eer_ci"][1] for r in rows)  # a percentile interval holds its EER
    assert "[" in (tmp / "reports/tables/anomaly/anomaly_eer_ci.md").read_text()
