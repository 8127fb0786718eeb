"""The names of the methods params.yaml may choose, with the labels and directions that tables and
the gate print. Implementations attach themselves from their own modules (`Registry.implement`)."""
from __future__ import annotations

from dataclasses import dataclass

from ..registry import Entry, Registry


@dataclass(frozen=True)
class Measure(Entry):
    direction: str = ""  # "higher" or "lower" is better (the gate and the captions read it)
    computed_from: str = ""  # what its code takes, so which stage computes it (see MEASURES below)


@dataclass(frozen=True)
class Protocol(Entry):
    measure: str = ""  # the measure (in MEASURES) that the mean over the protocol's folds amounts to


@dataclass(frozen=True)
class SpaceEntry(Entry):
    fitted_on: str = ""  # "source": the same space serves every target of a source; "source+target": per pair


@dataclass(frozen=True)
class Variant(Entry):
    descriptors: tuple[str, ...] = ()  # the per-cell descriptors the variant needs ("appearance", "motion")


@dataclass(frozen=True)
class Task(Entry):
    mapping: tuple[int, ...] = ()  # class label for PH2 clinical diagnosis 0, 1, 2
    short: str = ""  # for narrow table columns


TASKS: Registry[Task] = Registry("task", [
    Task("three_class", "common nevus / atypical nevus / melanoma", mapping=(0, 1, 2), short="3 classes"),
    Task("melanoma_vs_rest", "melanoma vs. common + atypical nevus", mapping=(0, 0, 1), short="melanoma"),
])

PROTOCOLS: Registry[Protocol] = Registry("CV protocol", [
    Protocol("paper", "folds as published", "KFold, unshuffled, in dataset order (the published protocol; every "
          "PH2 fold then holds one class, so the mean of the folds' balanced accuracies is plain accuracy)",
          measure="accuracy"),
    Protocol("stratified", "stratified CV", "StratifiedKFold on the clinical diagnosis (three classes, so every "
             "task's folds are stratified), shuffled with the random seed; the same folds for every task",
             measure="balanced_accuracy"),
])

CLASSIFIERS: Registry[Entry] = Registry("classifier", [
    Entry("linear_svm", "linear SVM", "SVC(kernel='linear') on a precomputed linear kernel"),
])

SPACES: Registry[SpaceEntry] = Registry("space", [
    SpaceEntry("raw", "Cross-feature", "z-scored features (source statistics)", fitted_on="source"),
    SpaceEntry("pca", "PCA", "PCA fitted on the source", fitted_on="source"),
    SpaceEntry("tca", "TCA", "Transfer Component Analysis (Pan et al. 2011) on source and target training frames",
               fitted_on="source+target"),
])

DETECTORS: Registry[Entry] = Registry("detector", [
    Entry("ocsvm", "one-class SVM", "RBF one-class SVM, scores in the log domain"),
    Entry("iforest", "Isolation Forest", "scikit-learn IsolationForest"),
    Entry("mahalanobis", "Mahalanobis", "Mahalanobis distance to a Ledoit-Wolf covariance"),
])

# beyond the seed (anomaly.beyond.variants)
ANOMALY_VARIANTS: Registry[Variant] = Registry("anomaly variant", [
    Variant("patch_knn", "Patch kNN", "k-NN distance of each cell of a map layer to normal patches (PatchCore, "
          "Roth et al. 2022); a frame scores as its worst cells", descriptors=("appearance",)),
    Variant("motion", "Motion kNN", "per-cell histograms of Farneback optical flow, each cell against the same cell "
          "of normal frames", descriptors=("motion",)),
    Variant("appearance_motion", "Patch + motion", "the two scores standardised on held-out normal training frames "
          "and summed", descriptors=("appearance", "motion")),
])

# computed_from "scores": impl(labels, scores) -> value, computed for every anomaly pair and space;
# computed_from "domain": impl(source frames, target frames, groups_s=, groups_t=) -> a domain gap, for every pair and
#   space (no labels; the groups are the frames' clip ids, in their order, for measures that cross-validate);
# "cdfg": impl(risk, a, b) over a table of EERs; "accuracy": a classification score;
# "layer": impl(features, labels) -> how well features suit the labels, before any training;
# "source_model": impl(source-class probabilities, labels), from the backbone's own head.
MEASURES: Registry[Measure] = Registry(
    "measure",
    [
        Measure("eer", "EER (%)", "equal error rate at frame level", direction="lower", computed_from="scores"),
        Measure("g_part", "$G_\\mathrm{part}$", "|EER(A->A) - EER(A->B)|", direction="lower", computed_from="cdfg"),
        Measure(
            "g_comp", "$G_\\mathrm{comp}$", "(G_part(A->B) + G_part(B->A)) / 2", direction="lower", computed_from="cdfg"
        ),
        Measure("balanced_accuracy", "balanced accuracy (%)", direction="higher", computed_from="accuracy"),
        Measure(
            "pooled_balanced_accuracy",
            "pooled balanced accuracy (%)",
            "balanced accuracy of all out-of-fold predictions together",
            direction="higher",
            computed_from="accuracy",
        ),
        Measure("accuracy", "accuracy (%)", direction="higher", computed_from="accuracy"),
        Measure(
            "std",
            "sample std",
            "sample standard deviation (n - 1) of a mean's folds or splits",
            direction="lower",
            computed_from="spread",
        ),
        Measure(
            "mmd2_linear", "MMD² (linear)", "unbiased MMD², linear kernel", direction="lower", computed_from="domain"
        ),
        Measure(
            "mmd2_rbf",
            "MMD² (RBF)",
            "unbiased MMD², RBF kernel, median-heuristic width",
            direction="lower",
            computed_from="domain",
        ),
        Measure(
            "pad",
            "proxy A-distance",
            "2 (1 − 2 err), err the 5-fold CV error of a linear source-vs-target classifier",
            direction="lower",
            computed_from="domain",
        ),
        Measure(
            "coral",
            "CORAL distance",
            "squared Frobenius distance of the source and target covariances over 4d²",
            direction="lower",
            computed_from="domain",
        ),
        Measure("logme", "LogME", "You et al. 2021", direction="higher", computed_from="layer"),
        Measure("h_score", "H-score", "Bao et al. 2019", direction="higher", computed_from="layer"),
        Measure(
            "h_score_lw",
            "H-score (LW)",
            "with a Ledoit-Wolf covariance, Ibrahim et al. 2022",
            direction="higher",
            computed_from="layer",
        ),
        Measure(
            "leep",
            "LEEP",
            "Nguyen et al. 2020, from the ImageNet head",
            direction="higher",
            computed_from="source_model",
        ),
    ],
)
