"""Every file and folder that a stage reads or writes, declared once, relative to the repository
root. `dvc.yaml` names the same paths; `tests/test_dvc.py` checks that the two agree."""
from __future__ import annotations

from pathlib import Path

from .data.registry import DATASETS

DATA = Path("data")
DEMO = DATA / "demo"  # the demo twins; the paper profile reads data/paper/
DOWNLOADS = DATA / "downloads"
FEATURES = DATA / "features"
REPORTS = Path("reports")
METRICS = REPORTS / "metrics"
TABLES = REPORTS / "tables"
FIGURES = REPORTS / "figures"


def dataset_root(profile: str, key: str) -> Path:
    """Where a profile's copy of a dataset lives: data/<profile>/<folder> (put or link it there)."""
    return DATA / profile / DATASETS[key].folder


PH2_FEATURES = FEATURES / "ph2"
PH2_TIMING = METRICS / "ph2_timing.json"
PH2_FOLDS = METRICS / "ph2_folds.jsonl"
PH2_SUMMARY = METRICS / "ph2_summary.json"

ANOMALY_FEATURES = FEATURES / "anomaly"  # <scene>/{train,test}/
ANOMALY_SCORES = DATA / "anomaly_scores"  # <source>__<target>.npz
ANOMALY_METRICS = METRICS / "anomaly"  # <source>__<target>.json
ANOMALY_GAMMA = DATA / "anomaly_gamma.json"  # the detector's shared RBF width per space

FINETUNE_MODEL = DATA / "models" / "finetune.pt"
FINETUNE_WORK = DATA / "work" / "finetune.partial.pt"  # resumable state of an interrupted run
FINETUNE_HISTORY = METRICS / "finetune_history.jsonl"
FUSION_FEATURES = FEATURES / "fusion"
FUSION_RESULTS = METRICS / "fusion.jsonl"
FUSION_SUMMARY = METRICS / "fusion_summary.json"

RECIPES_FEATURES = FEATURES / "recipes"
RECIPES_RESULTS = METRICS / "recipes.json"
RECIPES_TIMING = METRICS / "recipes_timing.json"

TIMINGS = METRICS / "timings"  # <stage>.json, per run
TABLES_TEX = REPORTS / "tables.tex"
REPORTS_INDEX = REPORTS / "README.md"


def tables(experiment: str) -> Path:
    """The folder of an experiment's tables (.tex and .md): one DVC output per report stage."""
    return TABLES / experiment


def figures(experiment: str) -> Path:
    return FIGURES / experiment


def anomaly_pair(source: str, target: str) -> str:
    return f"{source}__{target}"
