"""params.yaml, typed: every section validated when it is loaded, unknown keys rejected, every name
checked against its registry. A typo fails in a second with one line naming the key, the file and
the closest valid spelling, before any stage work starts."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    model_validator,
)

from . import paths
from .data.registry import SCENES
from .errors import TlbenchError
from .methods.registry import ANOMALY_VARIANTS, CLASSIFIERS, DETECTORS, PROTOCOLS, SPACES, TASKS
from .models.specs import BACKBONES
from .registry import did_you_mean


def _member_of(registry):
    def check(value):
        if value not in registry:
            raise ValueError(f"unknown {registry.noun} {value!r}{did_you_mean(value, registry)}: "
                             f"use one of {', '.join(registry)}")
        return value
    return AfterValidator(check)


BackboneName = Annotated[str, _member_of(BACKBONES)]
SceneName = Annotated[str, _member_of(SCENES)]
Positive = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
LayerKey = Union[int, str]  # noqa: UP007 (`_model_at` walks typing.Union; `int | str` is types.UnionType)


def _pooling(value):
    if value is not None and value not in ("avg", "max", "pyramid") and not re.fullmatch(r"grid[1-9]\d*", value):
        raise ValueError(f"unknown pooling {value!r}{did_you_mean(value, ['avg', 'max', 'pyramid', 'grid2'])}: "
                         f"use avg, max, pyramid, gridN (N x N cells) or null")
    return value


def _device(value):
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", value):
        raise ValueError(
            f"unknown device {value!r}{did_you_mean(value, ['auto', 'cpu', 'cuda'])}: use auto, cpu, cuda or cuda:N"
        )
    return value


def _share_or_count(of: str, top: str = "]"):
    """A float is a share of `of` in (0, 1] (or (0, 1) with top ")"), an int a count: `2.0` is neither
    (it once became a count of 2)."""
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(
                f"{value!r} is not a number: write a share of {of} as a float or a count as a whole number"
            )
        if isinstance(value, int) and value < 1:
            raise ValueError(f"a count of {value}: write a whole number of at least 1, or a share of {of} as a float")
        if isinstance(value, float) and not (0 < value < 1 or (top == "]" and value == 1)):
            raise ValueError(f"{value!r} is a share of {of} outside (0, 1{top}: write a share as a float in (0, 1{top} "
                             f"(0.01 = 1 %), or a count as a whole number without a decimal point")
        return value
    return BeforeValidator(check)


def _odd_window(value: int) -> int:
    if value % 2 == 0:
        raise ValueError(f"a window of {value} frames has no middle frame: use an odd number ({value - 1} or "
                         f"{value + 1}) so that it is centred on the frame it smooths")
    return value


Window = Annotated[int, Field(gt=0), AfterValidator(_odd_window)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FrameRanges(Strict):
    train: tuple[int, int | None]  # inclusive; null = the last frame
    test: tuple[int, int | None]


TTAView = Literal["hflip", "vflip", "transpose"]


class PH2TTA(Strict):
    backbones: list[BackboneName] = []
    views: list[TTAView] = []


class PH2Beyond(Strict):
    """Beyond the seed: more table sections (marked as such), each a full layer sweep."""
    backbones: list[BackboneName] = []
    tta: PH2TTA = PH2TTA()
    layers: list[LayerKey] | None = None  # the layers these sweeps take; None: ph2.layers


class ProfileFinetune(Strict):
    backbone: BackboneName
    epochs: Positive
    train: Literal["head", "all"] | list[str]


class Profile(Strict):
    synthetic: bool  # the data are the demo twins: captions and figures say so
    official_counts: bool  # datasets must have their official image counts
    york_protocol: dict[Literal["belleview", "train"], FrameRanges]
    ph2_backbones: list[BackboneName]
    anomaly_backbone: BackboneName
    anomaly_patch_layer: LayerKey = "blocks.4"  # map layer of the patch kNN variant (anomaly.beyond)
    finetune: ProfileFinetune
    fusion: dict[Literal["test_size"], Annotated[StrictInt | StrictFloat, _share_or_count("the images", ")")]]
    recipes: ProfileRecipes
    ph2_beyond: PH2Beyond | None = None  # this profile's sweeps beyond the seed; None: ph2.beyond


class ProfileRecipes(Strict):
    backbone: BackboneName
    fraction: Annotated[float, Field(gt=0, le=1)]


class DemoPH2(Strict):
    counts: tuple[Positive, Positive, Positive]
    size: tuple[Positive, Positive]
    size_jitter: Annotated[int, Field(ge=0)]


class DemoData(Strict):
    ph2: DemoPH2
    fruits360: dict[Literal["train_per_class", "test_per_class"], Positive]
    supermarket: DemoSupermarket
    ucsd: dict[Literal["train_clips", "test_clips", "frames_per_clip"], Positive]
    york: DemoYork
    cifar10: dict[Literal["train_per_class", "test_per_class"], Positive]


class DemoSupermarket(Strict):
    per_class: Positive
    size: tuple[Positive, Positive]


class DemoYork(Strict):
    n_frames: Positive
    size: tuple[Positive, Positive]
    anomalies: dict[Literal["belleview", "train"], list[tuple[int, int]]]


class Extract(Strict):
    device: Annotated[str, AfterValidator(_device)]
    precision: Literal["auto", "fp32", "bf16", "fp16"]
    batch_size: Positive
    num_workers: Annotated[int, Field(ge=0)]
    channels_last: bool
    resize: Literal["squash", "keras", "shorter_side_crop"]
    allow_download: bool
    weights: dict[BackboneName, str]
    tta: list[Literal["hflip", "vflip", "transpose"]] = []  # test-time augmentation: features averaged over views
    backend: Literal["local", "ray"] = "local"  # where a stage's independent jobs run (tlbench/scale.py)
    job_threads: Annotated[int, Field(ge=0)] = 2  # BLAS/torch threads of each job on both backends (0: as they are)


class RayParams(Strict):
    address: str = "local"  # local: Ray on this machine | auto: the cluster it belongs to | ray://HOST:10001
    num_cpus: Annotated[int, Field(ge=1)] | None = None  # for `local`; null: every core
    cpus_per_task: PositiveFloat | None = None  # CPUs a task reserves; null: extract.job_threads
    max_retries: Annotated[int, Field(ge=0)] = 3  # a task whose worker dies is run again


class SVM(Strict):
    C: PositiveFloat
    standardize: bool = True


class PH2(Strict):
    layers: list[LayerKey]
    tasks: list[Annotated[str, _member_of(TASKS)]]
    protocols: list[Annotated[str, _member_of(PROTOCOLS)]]
    n_folds: Annotated[int, Field(ge=2)]
    classifier: Annotated[str, _member_of(CLASSIFIERS)]
    svm: SVM
    beyond: PH2Beyond = PH2Beyond()


class TCAParams(Strict):
    n_components: Positive
    kernel: Literal["linear", "rbf"]
    mu: PositiveFloat
    gamma: PositiveFloat | None
    solver: Literal["auto", "dual", "primal"]
    normalise: Literal["pan", "b_orthonormal"] = "pan"
    max_samples_per_domain: Positive


class DetectorParams(Strict):
    kind: Annotated[str, _member_of(DETECTORS)]
    nu: Annotated[float, Field(gt=0, le=1)]
    kernel: Literal["rbf", "linear", "poly", "sigmoid"]
    gamma: Literal["shared", "scale", "auto"] | PositiveFloat


def _distinct(values):
    if not values or len(set(values)) != len(values):
        raise ValueError(f"{values!r}: give a non-empty list without repeats")
    return values


class Farneback(Strict):
    pyr_scale: Annotated[float, Field(gt=0, lt=1)] = 0.5
    levels: Positive = 3
    winsize: Positive = 15
    iterations: Positive = 3
    poly_n: Literal[5, 7] = 5
    poly_sigma: PositiveFloat = 1.2


class Motion(Strict):
    """The motion descriptor (stage anomaly_motion@SCENE)."""
    size: tuple[Positive, Positive] = (360, 240)
    cell: Positive = 24
    bins: Positive = 8
    scale: Annotated[float, Field(gt=0, le=1)] = 0.5
    magnitude: Annotated[list[Literal["mean", "std", "max", "p90"]], AfterValidator(_distinct)] = ["max"]
    accumulate: Positive = 1  # frames each descriptor is averaged over (1: one frame's flow)
    farneback: Farneback = Farneback()

    @model_validator(mode="after")
    def _cell_fits(self):
        small = self.cell * self.scale
        if small < 1 or small != int(small):
            raise ValueError(
                f"cell {self.cell} px times scale {self.scale} is {small:g} px of the flow's frame: choose "
                f"`anomaly.motion.cell` so that cell x scale is a whole number of pixels"
            )
        if self.cell > min(self.size):
            raise ValueError(f"cell {self.cell} px is larger than the {self.size[0]}x{self.size[1]} px frames "
                             f"(`anomaly.motion.size`): use `anomaly.motion.cell` <= {min(self.size)}")
        return self


class PatchKNNParams(Strict):
    position: Literal["free", "aware"]
    k: Positive = 1
    aggregate: Literal["max", "top_mean"] = "max"
    top_cells: Positive = 3
    bank: Literal["coreset", "random"] = "coreset"
    bank_size: Annotated[StrictInt | StrictFloat, _share_or_count("the training patches")] = 0.01  # or a count
    projection_dim: Positive | None = 128
    neighbourhood: Annotated[int, Field(ge=0)] = 0


class Smoothing(Strict):
    kind: Literal["mean", "gaussian", "median"] = "mean"
    window: Window = 9


class SelectionGrid(Strict):
    """The post-processing grid that anomaly.beyond's declared selection protocol searches (no refit: the
    per-cell distances of one search serve every setting)."""
    protocol: Literal["leave_one_scene_out", "none"] = "leave_one_scene_out"
    k: Annotated[list[Positive], AfterValidator(_distinct)] = [1, 3, 5]
    top_cells: Annotated[list[Positive], AfterValidator(_distinct)] = [1, 3, 5, 10]  # 1: the worst cell (max)
    smoothing_kind: Annotated[list[Literal["mean", "gaussian", "median"]], AfterValidator(_distinct)] = \
        ["mean", "gaussian", "median"]
    window: Annotated[list[Window], AfterValidator(_distinct)] = [1, 5, 9, 15, 25]
    motion_share: Annotated[list[Annotated[float, Field(ge=0, le=1)]], AfterValidator(_distinct)] = [0.25, 0.5, 0.75]


class Beyond(Strict):
    """Options beyond the seed (stage anomaly_beyond), reported beside the seed's rows."""
    variants: list[Annotated[str, _member_of(ANOMALY_VARIANTS)]] = []
    patch_dtype: Literal["float16", "float32"] = "float16"
    patch_knn: PatchKNNParams
    motion_knn: PatchKNNParams
    held_out: Annotated[float, Field(gt=0, lt=1)] = 0.1
    weights: dict[Literal["patch_knn", "motion"], Annotated[float, Field(ge=0)]] = {"patch_knn": 1.0, "motion": 1.0}
    smoothing: Smoothing = Smoothing()
    selection: SelectionGrid = SelectionGrid()


class Anomaly(Strict):
    scenes: list[SceneName]
    layer: LayerKey
    pooling: Annotated[str | None, AfterValidator(_pooling)]
    train_stride: Positive
    spaces: list[Annotated[str, _member_of(SPACES)]]
    pca: dict[Literal["n_components"], Positive]
    tca: TCAParams
    detector: DetectorParams
    smoothing: Window
    gap_samples: Positive = 2000
    motion: Motion = Motion()
    beyond: Beyond | None = None


class Finetune(Strict):
    precision: Literal["fp32", "bf16", "fp16", "auto"] = "fp32"
    optimizer: Literal["sgd", "adam"]
    lr: PositiveFloat
    momentum: Annotated[float, Field(ge=0)]
    weight_decay: Annotated[float, Field(ge=0)]
    schedule: Literal["cosine", "constant"]
    batch_size: Positive
    augment: bool
    num_workers: Annotated[int, Field(ge=0)]
    threads: Annotated[int, Field(ge=0)] = 2


class Fusion(Strict):
    pooling: Literal["avg", "max", "pyramid"]
    align: Literal["standardize", "l2"]
    n_components: list[Positive]
    seeds: list[int]
    svm: SVM


class Training(Strict):
    lr: PositiveFloat
    batch_size: Positive
    epochs: Positive


class Recipes(Strict):
    knn: dict[Literal["k", "folds"], Positive]
    pca: Positive
    pooling: Literal["avg", "max", "pyramid"]
    svm: SVM
    finetune: Training
    autoencoder: Training
    threads: Annotated[int, Field(ge=0)] = 2


class Uncertainty(Strict):
    level: Annotated[float, Field(gt=0, lt=1)] = 0.95
    resamples: Annotated[int, Field(ge=100)] = 1000
    min_units: Annotated[int, Field(ge=2)] = 10
    alpha: Annotated[float, Field(gt=0, lt=1)] = 0.05


class Report(Strict):
    # BibTeX key per experiment for the published values (empty: the source is named in words)
    cite: dict[Literal["anomaly", "ph2", "fusion"], str] = {}


class Tolerance(Strict):
    abs: Annotated[float, Field(ge=0)] = 0.0
    rel: Annotated[float, Field(ge=0)] = 0.0


class Check(Strict):
    baseline: str
    tolerance: dict[str, Tolerance]  # per metric family; directions come from the measure registry


class Root(Strict):
    profile: str
    seed: int
    profiles: dict[str, Profile]
    demo_data: DemoData
    extract: Extract
    ph2: PH2
    anomaly: Anomaly
    finetune: Finetune
    fusion: Fusion
    recipes: Recipes
    report: Report = Report()
    uncertainty: Uncertainty = Uncertainty()
    ray: RayParams = RayParams()
    check: Check

    @model_validator(mode="after")
    def _cross_checks(self):
        if self.profile not in self.profiles:
            raise ValueError(f"`profile`: {self.profile!r}{did_you_mean(self.profile, self.profiles)} is not under "
                             f"profiles: use one of {', '.join(self.profiles)}")
        settings, prof = self.profiles[self.profile], f"profiles.{self.profile}"
        beyond = settings.ph2_beyond or self.ph2.beyond
        beyond_key = f"{prof}.ph2_beyond.layers" if settings.ph2_beyond else "ph2.beyond.layers"
        for names, layers, key in ((settings.ph2_backbones, self.ph2.layers, "ph2.layers"),
                                   ([*beyond.backbones, *beyond.tta.backbones], beyond.layers, beyond_key)):
            for name in dict.fromkeys(names):
                for layer in layers if layers is not None else self.ph2.layers:
                    _named(key if layers is not None else "ph2.layers", BACKBONES[name].layer, layer)
        _named("anomaly.layer", BACKBONES[settings.anomaly_backbone].layer, self.anomaly.layer)
        if self.anomaly.beyond is not None and self.anomaly.beyond.variants:
            patch = _named(f"{prof}.anomaly_patch_layer", BACKBONES[settings.anomaly_backbone].layer,
                           settings.anomaly_patch_layer)
            if len(patch.shape) != 3:
                raise ValueError(f"`{prof}.anomaly_patch_layer`: {settings.anomaly_patch_layer!r} is {patch.node}, of "
                                 f"shape {tuple(patch.shape)}: patch kNN needs a map layer (C, H, W)")
        return self


def _named(key: str, check, *args):
    """`check(*args)`, its error prefixed with the key it is about (a cross-check has no place of its own)."""
    try:
        return check(*args)
    except TlbenchError as exc:
        raise ValueError(f"`{key}`: {exc}") from None


Profile.model_rebuild()
DemoData.model_rebuild()


def _model_at(model: type[BaseModel] | None, loc: tuple) -> type[BaseModel] | None:
    """The model class that holds the field at `loc` (dict keys and list indices skipped)."""
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            continue
        annotation = model.model_fields[part].annotation
        while get_origin(annotation) in (dict, list, Union, Annotated):
            args = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = args[0] if args else (get_args(annotation)[-1] if get_origin(annotation) is dict else None)
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return model


def _describe(error: dict, file: Path) -> str:
    """One line for the first validation error: the key, the file and the fix."""
    loc = tuple(
        p
        for p in error["loc"]
        if not (
            isinstance(p, str)
            and (
                p.startswith(("function-after", "literal[", "union["))
                or p in ("int", "str", "float", "tuple[int, int]")
            )
        )
    )
    key = ".".join(str(p) for p in loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        parent = _model_at(Root, loc[:-1])
        hint = did_you_mean(loc[-1], parent.model_fields) if parent else ""
        return f"{file}: unknown key `{key}`{hint}: check the spelling against the params.yaml in the repository"
    if error["type"] == "missing":
        return f"{file}: missing key `{key}`: copy it from the params.yaml in the repository"
    message = error["msg"].removeprefix("Value error, ")
    if not loc and message.startswith("`"):  # a cross-check names its key itself
        return f"{file}: {message}"
    if error["type"] == "literal_error":
        choices = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        message = (
            f"{error['input']!r} is not allowed{did_you_mean(error['input'], choices)}: use one of {', '.join(choices)}"
        )
    return f"{file}: `{key}`: {message}"


class Params:
    """The validated parameters; `get("a.b")` for dotted access, `settings` for the active profile."""

    def __init__(self, model: Root, path: Path):
        self.model, self.path = model, path
        self.raw = model.model_dump()

    @classmethod
    def load(cls, path: str | Path = "params.yaml") -> Params:
        path = Path(path)
        if not path.is_file():
            raise TlbenchError(f"{path} not found: run tlbench from the repository root or pass --params")
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise TlbenchError(f"{path} is not valid YAML: {exc}") from None
        return cls.from_dict(raw, path)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], path: Path) -> Params:
        try:
            model = Root.model_validate(raw)
        except ValidationError as exc:
            # a misspelt key is both unknown and (its right spelling) missing: report the typo
            errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
            raise TlbenchError(_describe(errors[0], path)) from None
        # absolute: a Ray job gets the params pickled and resolves every path on its node, whose worker
        # starts in another directory (the cluster's, not the stage's)
        return cls(model, Path(path).resolve())

    def get(self, dotted: str):
        node = self.raw
        for part in dotted.split("."):
            node = node[part]
        return node

    @property
    def profile(self) -> str:
        return self.model.profile

    @property
    def seed(self) -> int:
        return self.model.seed

    @property
    def settings(self) -> Profile:
        return self.model.profiles[self.model.profile]

    @property
    def ph2_beyond(self) -> PH2Beyond:
        """The PH2 sweeps beyond the seed: the profile's own (`profiles.*.ph2_beyond`), else `ph2.beyond`."""
        return self.settings.ph2_beyond or self.model.ph2.beyond

    def ph2_models(self) -> list[tuple[str, str, tuple[str, ...], bool]]:
        """(key, backbone, TTA views, beyond the seed) of every PH2 sweep: the profile's backbones, then
        the beyond-the-seed backbones and TTA sweeps (key `<backbone>+tta`) of `ph2_beyond`. The key names the
        feature folder and the records' `backbone`."""
        b, tta = self.ph2_beyond, tuple(self.model.extract.tta)
        out = [(name, name, tta, False) for name in self.settings.ph2_backbones]
        out += [(name, name, tta, True) for name in b.backbones if name not in self.settings.ph2_backbones]
        if b.tta.views:
            out += [(f"{name}+tta", name, tuple(b.tta.views), True) for name in b.tta.backbones]
        return out

    def ph2_layers(self, beyond: bool) -> list:
        """The layers a PH2 sweep takes: `ph2.layers`, or for a sweep beyond the seed its own when set."""
        own = self.ph2_beyond.layers if beyond else None
        return list(own if own is not None else self.model.ph2.layers)

    def anomaly_nodes(self) -> list[str]:
        """The anomaly backbone's nodes that anomaly_extract stores: the seed's frame descriptor first, then
        the map layer of anomaly.beyond's patch kNN when a variant needs it (one forward pass serves both)."""
        a, settings = self.model.anomaly, self.settings
        spec = BACKBONES[settings.anomaly_backbone]
        nodes = [spec.layer(a.layer).node]
        if any("appearance" in ANOMALY_VARIANTS[v].descriptors for v in (a.beyond.variants if a.beyond else [])):
            nodes += [node for node in [spec.layer(settings.anomaly_patch_layer).node] if node not in nodes]
        return nodes

    def profile_get(self, key: str):
        return self.get(f"profiles.{self.profile}.{key}")

    @property
    def root_dir(self) -> Path:
        return self.path.parent

    def resolve_path(self, value: str | Path) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.root_dir / p

    def dataset_root(self, key: str) -> Path:
        return self.resolve_path(paths.dataset_root(self.profile, key))
