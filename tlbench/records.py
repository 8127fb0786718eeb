"""The records an experiment's evaluate stages write and its report reads, one typed container per experiment,
loaded in one place (`load`): each report stage reads its records once and hands them to every table, figure,
plot, metric and provenance function of its `reporting/<experiment>.py` (`reporting/report.py`). A missing
record names the file and the stage that writes it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .errors import TlbenchError
from .io import read_csv, read_json, read_jsonl


def _required(params, path, stage: str) -> Path:
    resolved = params.resolve_path(path)
    if not resolved.is_file():
        raise TlbenchError(f"{resolved} not found: run the {stage} stage first (`dvc repro {stage}`)")
    return resolved


@dataclass(frozen=True)
class Ph2Records:
    folds: list[dict]  # one row per CNN, layer, task, protocol and fold (reports/records/ph2/folds.jsonl)
    summary: dict  # per CNN, layer, task and protocol: mean, std, interval; transferability; provenance

    @classmethod
    def load(cls, params) -> Ph2Records:
        return cls(read_jsonl(_required(params, paths.PH2_FOLDS, "ph2_evaluate")),
                   read_json(_required(params, paths.PH2_SUMMARY, "ph2_evaluate")))


@dataclass(frozen=True)
class AnomalyRecords:
    rows: list[dict]  # per source -> target pair and space: the seed detector's measures
    first: dict  # the first pair's record: preprocessing and library versions
    scores: Path  # the folder of per-pair score files (labels, groups, smoothed scores per space)
    beyond: list[dict] = field(default_factory=list)  # anomaly.beyond's variants, per pair and space
    beyond_settings: dict | None = None  # their settings (None when no variant is enabled)
    selection: dict = field(default_factory=lambda: {"rows": []})  # the leave-one-scene-out selection

    @classmethod
    def load(cls, params) -> AnomalyRecords:
        scenes, pairs = params.model.anomaly.scenes, []
        for s in scenes:
            pairs += [paths.anomaly_pair(s, t) for t in scenes]
        evaluated = [read_json(_required(params, paths.ANOMALY_RECORDS / f"{p}.json", "anomaly_evaluate"))
                     for p in pairs]
        out = cls([r for record in evaluated for r in record["rows"]], evaluated[0],
                  params.resolve_path(paths.ANOMALY_SCORES))
        b = params.model.anomaly.beyond
        if not b or not b.variants:
            return out
        beyond = [read_json(_required(params, paths.ANOMALY_BEYOND_RECORDS / f"{p}.json", "anomaly_beyond"))
                  for p in pairs]
        selection = read_json(_required(params, paths.ANOMALY_BEYOND_SELECTION, "anomaly_beyond"))
        return cls(out.rows, out.first, out.scores, [r for record in beyond for r in record["rows"]],
                   beyond[-1]["settings"], selection)


@dataclass(frozen=True)
class FusionRecords:
    rows: list[dict]  # per split, column (global or fused) and PCA size: the accuracy
    summary: dict  # preprocessing, versions, transferability
    history: list[dict]  # the fine-tuning's per-epoch losses and accuracies

    @classmethod
    def load(cls, params) -> FusionRecords:
        return cls(read_jsonl(_required(params, paths.FUSION_RESULTS, "fusion_evaluate")),
                   read_json(_required(params, paths.FUSION_SUMMARY, "fusion_evaluate")),
                   read_csv(_required(params, paths.FINETUNE_HISTORY, "fusion_finetune")))


@dataclass(frozen=True)
class RecipesRecords:
    results: dict  # per recipe: mean and std accuracy; curves; preprocessing, weights, versions

    @classmethod
    def load(cls, params) -> RecipesRecords:
        return cls(read_json(_required(params, paths.RECIPES_RESULTS, "recipes_evaluate")))


RECORDS = {"ph2": Ph2Records, "anomaly": AnomalyRecords, "fusion": FusionRecords, "recipes": RecipesRecords}


def load(params, experiment: str):
    """The experiment's records, typed; an unknown experiment names the known ones."""
    if experiment not in RECORDS:
        raise TlbenchError(f"no records for experiment {experiment!r}; known: {', '.join(RECORDS)}")
    return RECORDS[experiment].load(params)
