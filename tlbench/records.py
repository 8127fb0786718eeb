"""The records an experiment's evaluate stages write and its report reads, one typed container per experiment,
loaded in one place (`load`): each report stage reads its records once and hands them to every table, figure,
plot, metric and provenance function of its `reporting/<experiment>.py` (`reporting/report.py`). A missing
record names the file and the stage that writes it."""
from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TypedDict

from . import paths
from .errors import TlbenchError
from .io import read_csv, read_json, read_jsonl, write_jsonl


def _required(params, path, stage: str) -> Path:
    resolved = params.resolve_path(path)
    if not resolved.is_file():
        raise TlbenchError(f"{resolved} not found: run the {stage} stage first (`dvc repro {stage}`)")
    return resolved


def typed_rows(row_type, rows: list[dict], path: Path, stage: str) -> list:
    """`rows` as `row_type` instances; a row with a missing or an unknown field names the file, the fields and
    the stage that writes it (a record written by another version of tlbench)."""
    names = [f.name for f in fields(row_type)]
    required = [f.name for f in fields(row_type) if f.default is MISSING and f.default_factory is MISSING]
    for i, row in enumerate(rows):
        missing, unknown = [n for n in required if n not in row], sorted(set(row) - set(names))
        if missing or unknown:
            raise TlbenchError(f"{path}: row {i + 1} lacks {missing or 'nothing'} and has unknown {unknown or 'none'}"
                               f" ({row_type.__name__}): re-run the {stage} stage (`dvc repro -f -s {stage}`)")
    return [row_type(**row) for row in rows]


def write_rows(path, rows: list) -> Path:
    """Typed rows as JSON lines, keys sorted (the same bytes as the dicts they replace)."""
    return write_jsonl(path, [asdict(r) for r in rows])


@dataclass(frozen=True)
class Ph2Fold:
    """One fold of one task and CV protocol on one backbone layer: the linear SVM's scores (fractions) and what
    produced them."""
    experiment: str  # "ph2_layers"
    profile: str
    dataset: str  # "PH2"
    backbone: str  # in BACKBONES
    layer: int  # Keras-style index: -2 the pre-logits layer, ...
    node: str  # the torchvision/timm node the features come from
    keras_name: str
    n_features: int
    variance_fraction: float  # of features with non-zero variance over the dataset (the seed's column)
    task: str  # in TASKS
    protocol: str  # in PROTOCOLS
    n_folds: int
    fold: int
    n_train: int
    n_test: int
    classifier: str  # in CLASSIFIERS
    C: float
    standardize: bool
    seed: int
    weights_id: str
    precision: str  # fp32 or bf16 extraction
    balanced_accuracy: float  # over the classes in the fold
    accuracy: float
    n_classes_in_fold: int
    pooled_balanced_accuracy: float  # of all out-of-fold predictions of the task and protocol together


@dataclass(frozen=True)
class Ph2Records:
    folds: list[Ph2Fold]  # one row per CNN, layer, task, protocol and fold (reports/records/ph2_folds.jsonl)
    summary: dict  # per CNN, layer, task and protocol: mean, std, interval; transferability; provenance

    @classmethod
    def load(cls, params) -> Ph2Records:
        folds = _required(params, paths.PH2_FOLDS, "ph2_evaluate")
        return cls(typed_rows(Ph2Fold, read_jsonl(folds), folds, "ph2_evaluate"),
                   read_json(_required(params, paths.PH2_SUMMARY, "ph2_evaluate")))


class AnomalyRow(TypedDict):
    """One source -> target pair and space of the seed's detector (reports/records/anomaly/<pair>.json). Besides
    these keys a row holds one value per registered measure computed from scores or domains (`eer`, `pad`, ...)
    and the EER's interval (`eer_ci`, `eer_ci_units`): the measures are the registry's, so a registered measure
    becomes a column without a field here, which is why anomaly rows stay mappings checked on load."""
    experiment: str
    profile: str
    source: str
    target: str
    space: str
    gamma: float
    tca_solver: str | None
    n_train: int
    n_test: int
    n_anomalous: int
    distinct_scores: int
    backbone: str
    layer: int
    node: str
    weights_id: str
    precision: str
    detector: dict
    pca_components: int
    tca: dict
    smoothing: int
    seed: int
    uncertainty: dict


class BeyondRow(TypedDict):
    """One pair, space and anomaly.beyond variant (reports/records/anomaly_beyond/<pair>.json): measures of the raw
    and (`smoothed`) the smoothed scores."""
    experiment: str
    source: str
    target: str
    space: str
    variant: str
    eer: float
    smoothed: dict
    n_fit: int
    n_held_out: int
    n_test: int
    n_anomalous: int
    seed: int


def checked_mappings(row_type, rows: list[dict], path: Path, stage: str, extra: set[str]) -> list[dict]:
    """`rows` unchanged when each holds every key of the TypedDict `row_type` and no key beyond it and `extra`."""
    names = set(row_type.__annotations__)
    for i, row in enumerate(rows):
        missing, unknown = sorted(names - set(row)), sorted(set(row) - names - extra)
        if missing or unknown:
            raise TlbenchError(f"{path}: row {i + 1} lacks {missing or 'nothing'} and has unknown {unknown or 'none'}"
                               f" ({row_type.__name__}): re-run the {stage} stage (`dvc repro -f -s {stage}`)")
    return rows


def _measure_keys() -> set[str]:
    from .methods.registry import MEASURES

    return set(MEASURES) | {"eer_ci", "eer_ci_units"}


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
        scenes = params.model.anomaly.scenes
        pairs = [paths.anomaly_pair(s, t) for s in scenes for t in scenes]
        evaluated = _records_of(params, pairs, paths.ANOMALY_RECORDS, "anomaly_evaluate", AnomalyRow)
        out = cls([r for record in evaluated for r in record["rows"]], evaluated[0],
                  params.resolve_path(paths.ANOMALY_SCORES))
        b = params.model.anomaly.beyond
        if not b or not b.variants:
            return out
        beyond = _records_of(params, pairs, paths.ANOMALY_BEYOND_RECORDS, "anomaly_beyond", BeyondRow)
        selection = read_json(_required(params, paths.ANOMALY_BEYOND_SELECTION, "anomaly_beyond"))
        return cls(out.rows, out.first, out.scores, [r for record in beyond for r in record["rows"]],
                   beyond[-1]["settings"], selection)


def _records_of(params, pairs: list[str], folder, stage: str, row_type) -> list[dict]:
    """Each pair's record, its rows checked against `row_type`."""
    out = []
    for pair in pairs:
        path = _required(params, folder / f"{pair}.json", stage)
        record = read_json(path)
        checked_mappings(row_type, record["rows"], path, stage, _measure_keys())
        out.append(record)
    return out


@dataclass(frozen=True)
class FusionSplit:
    """One held-out split, Table 7 column and PCA size: the linear SVM's accuracy (a fraction) and its setting."""
    experiment: str  # "fusion"
    profile: str
    column: str  # "global" (the pre-prediction layer) or "block1".."block3" (fused with that block)
    n_components: int  # PCA size
    split_seed: int
    n_train: int
    n_test: int
    accuracy: float
    align: str  # how each descriptor is scaled before fusion
    pooling: str  # of the block's maps
    C: float
    backbone: str
    weights_id: str
    global_node: str
    local_node: str | None  # the block's node (None for the global column)


@dataclass(frozen=True)
class FusionRecords:
    rows: list[FusionSplit]  # per split, column (global or fused) and PCA size: the accuracy
    summary: dict  # preprocessing, versions, transferability
    history: list[dict]  # the fine-tuning's per-epoch losses and accuracies

    @classmethod
    def load(cls, params) -> FusionRecords:
        results = _required(params, paths.FUSION_RESULTS, "fusion_evaluate")
        return cls(typed_rows(FusionSplit, read_jsonl(results), results, "fusion_evaluate"),
                   read_json(_required(params, paths.FUSION_SUMMARY, "fusion_evaluate")),
                   read_csv(_required(params, paths.FINETUNE_HISTORY, "fusion_finetune")))


@dataclass(frozen=True)
class RecipeResult:
    """One teaching recipe's accuracy (a fraction): CV mean and sample std, or one test accuracy (no std)."""
    recipe: str  # FE1, FE2, FE3, FE3b, Fine-tuning, Autoencoder
    what: str
    metric: str  # "CV accuracy" or "test accuracy"
    mean: float
    std: float | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class RecipesRecords:
    """The recipes_evaluate stage's one record (reports/records/recipes.json)."""
    results: list[RecipeResult]
    finetune_history: list[dict]  # the new softmax head's per-epoch accuracies
    autoencoder_loss: list[float]  # per epoch
    n_train: int
    n_test: int
    fraction: float  # of CIFAR-10 subsampled, stratified
    backbone: str
    seed: int
    weights_id: str
    preprocessing: str
    profile: str
    synthetic: bool
    versions: dict

    def as_dict(self) -> dict:
        return asdict(self) | {"results": [r.as_dict() for r in self.results]}

    @classmethod
    def load(cls, params) -> RecipesRecords:
        path = _required(params, paths.RECIPES_RESULTS, "recipes_evaluate")
        record = typed_rows(cls, [read_json(path)], path, "recipes_evaluate")[0]
        results = typed_rows(RecipeResult, record.results, path, "recipes_evaluate")
        return replace(record, results=results)


RECORDS = {"ph2": Ph2Records, "anomaly": AnomalyRecords, "fusion": FusionRecords, "recipes": RecipesRecords}


def load(params, experiment: str):
    """The experiment's records, typed; an unknown experiment names the known ones."""
    if experiment not in RECORDS:
        raise TlbenchError(f"no records for experiment {experiment!r}; known: {', '.join(RECORDS)}")
    return RECORDS[experiment].load(params)
