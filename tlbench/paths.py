"""Every file and folder that a stage reads or writes, declared once, relative to the repository
root. `dvc.yaml` names the same paths; `tests/pipeline/test_dvc.py` checks that the two agree."""
from __future__ import annotations

from pathlib import Path

from .data.registry import DATASETS

DATA = Path("data")
DEMO = DATA / "demo"  # the demo twins; the paper profile reads data/paper/
DOWNLOADS = DATA / "downloads"
FEATURES = DATA / "features"
REPORTS = Path("reports")
RECORDS = REPORTS / "records"  # long-form results (per fold, pair, split) that the tables are made from
METRICS = REPORTS / "metrics"  # <experiment>.json: numbers only, DVC metrics, what `tlbench check` gates
PROVENANCE = REPORTS / "provenance"  # <experiment>.json: versions, preprocessing, weights, params hash
PLOTS = REPORTS / "plots"  # <experiment>/*.csv: data of `dvc plots show`
TIMINGS = REPORTS / "timings"  # per run, not tracked: <stage>.json and timings.md
TABLES = REPORTS / "tables"
FIGURES = REPORTS / "figures"


def dataset_root(profile: str, key: str) -> Path:
    """Where a profile's copy of a dataset lives: data/<profile>/<folder> (put or link it there)."""
    return DATA / profile / DATASETS[key].folder


PH2_FEATURES = FEATURES / "ph2"
PH2_TIMING = TIMINGS / "ph2_extract_rates.json"
PH2_FOLDS = RECORDS / "ph2_folds.jsonl"
PH2_SUMMARY = RECORDS / "ph2_summary.json"

ANOMALY_FEATURES = FEATURES / "anomaly"  # <scene>/{train,test}/
ANOMALY_SCORES = DATA / "anomaly_scores"  # <source>__<target>.npz
ANOMALY_RECORDS = RECORDS / "anomaly"  # <source>__<target>.json
ANOMALY_GAMMA = DATA / "anomaly_gamma.json"  # the detector's shared RBF width per space
ANOMALY_MOTION = FEATURES / "anomaly_motion"  # <scene>/{train,test}/: motion.npy, labels, groups, meta.json
ANOMALY_BEYOND_SCORES = DATA / "anomaly_beyond_scores"  # <source>__<target>.npz, per variant and space
ANOMALY_BEYOND_RECORDS = RECORDS / "anomaly_beyond"  # <source>__<target>.json
ANOMALY_BEYOND_SELECTION = RECORDS / "anomaly_beyond_selection.json"  # the declared selection protocol's rows

FINETUNE_MODEL = DATA / "models" / "finetune.pt"
FINETUNE_WORK = DATA / "work" / "finetune.partial.pt"  # resumable state of an interrupted run
FINETUNE_HISTORY = PLOTS / "fusion" / "finetune_history.csv"
FUSION_FEATURES = FEATURES / "fusion"
FUSION_RESULTS = RECORDS / "fusion.jsonl"
FUSION_SUMMARY = RECORDS / "fusion_summary.json"

RECIPES_FEATURES = FEATURES / "recipes"
RECIPES_RESULTS = RECORDS / "recipes.json"
RECIPES_TIMING = TIMINGS / "recipes_evaluate_rates.json"

TABLES_TEX = REPORTS / "tables.tex"  # every table; main.tex + supplement.tex split them for a paper
MAIN_TEX = REPORTS / "tables" / "main.tex"  # the reproductions of the seed's Tables 1-7
SUPPLEMENT_TEX = REPORTS / "tables" / "supplement.tex"  # everything else
METHODS_TEX = REPORTS / "tables" / "methods.tex"  # every experiment's methods paragraphs
REPORTS_INDEX = REPORTS / "README.md"


def tables(experiment: str) -> Path:
    """The folder of an experiment's tables (.tex and .md): one DVC output per report stage."""
    return TABLES / experiment


def figures(experiment: str) -> Path:
    return FIGURES / experiment


def metrics(experiment: str) -> Path:
    return METRICS / f"{experiment}.json"


def provenance(experiment: str) -> Path:
    return PROVENANCE / f"{experiment}.json"


def plots(experiment: str) -> Path:
    return PLOTS / experiment


# the stage that writes each path (an item folder below a foreach stage's path names its item), for the
# fix in an error about a missing or corrupt file: "re-run `dvc repro -s -f <stage>`"
WRITERS = (
    (ANOMALY_FEATURES, "anomaly_extract@{item}"),
    (ANOMALY_MOTION, "anomaly_motion@{item}"),
    (PH2_FEATURES, "ph2_extract"),
    (PH2_FOLDS, "ph2_evaluate"),
    (PH2_SUMMARY, "ph2_evaluate"),
    (ANOMALY_GAMMA, "anomaly_gamma"),
    (ANOMALY_SCORES, "anomaly_evaluate"),
    (ANOMALY_RECORDS, "anomaly_evaluate"),
    (ANOMALY_BEYOND_SCORES, "anomaly_beyond"),
    (ANOMALY_BEYOND_RECORDS, "anomaly_beyond"),
    (ANOMALY_BEYOND_SELECTION, "anomaly_beyond"),
    (FINETUNE_MODEL, "fusion_finetune"),
    (FUSION_FEATURES, "fusion_extract"),
    (FUSION_RESULTS, "fusion_evaluate"),
    (FUSION_SUMMARY, "fusion_evaluate"),
    (RECIPES_RESULTS, "recipes_evaluate"),
)


def writer_of(path: str | Path) -> str | None:
    """The DVC stage that writes `path` (absolute or relative to the repository), or None."""
    parts = Path(path).parts
    for declared, stage in WRITERS:
        want = declared.parts
        for i in range(len(parts) - len(want) + 1):
            if parts[i:i + len(want)] == want:
                rest = parts[i + len(want):]
                if "{item}" in stage:
                    return stage.format(item=rest[0]) if rest else stage.split("@")[0]
                return stage
    return None


def rerun_hint(path: str | Path) -> str:
    stage = writer_of(path)
    return f"re-run `dvc repro -s -f {stage}`" if stage else "re-run the stage that writes it (`dvc repro`)"


def anomaly_pair(source: str, target: str) -> str:
    return f"{source}__{target}"
