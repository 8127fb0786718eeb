"""The names of the methods params.yaml may choose, with the labels and directions that tables and
the gate print. Implementations attach themselves from their own modules (`Registry.implement`)."""
from __future__ import annotations

from dataclasses import dataclass

from ..registry import Entry, Registry


@dataclass(frozen=True)
class Task(Entry):
    mapping: tuple[int, ...] = ()  # class label for PH2 clinical diagnosis 0, 1, 2
    short: str = ""  # for narrow table columns


TASKS: Registry[Task] = Registry("task", [
    Task("three_class", "common nevus / atypical nevus / melanoma", mapping=(0, 1, 2), short="3 classes"),
    Task("melanoma_vs_rest", "melanoma vs. common + atypical nevus", mapping=(0, 0, 1), short="melanoma"),
])

# kind: the measure that the mean over the protocol's folds amounts to
PROTOCOLS: Registry[Entry] = Registry("CV protocol", [
    Entry("paper", "folds as published", "KFold, unshuffled, in dataset order (the published protocol; every "
          "PH2 fold then holds one class, so the mean of the folds' balanced accuracies is plain accuracy)",
          kind="accuracy"),
    Entry("stratified", "stratified CV", "StratifiedKFold, shuffled with the random seed", kind="balanced_accuracy"),
])

CLASSIFIERS: Registry[Entry] = Registry("classifier", [
    Entry("linear_svm", "linear SVM", "SVC(kernel='linear') on a precomputed linear kernel"),
])

# kind: what a space is fitted on ("source": the same space serves every target of a source)
SPACES: Registry[Entry] = Registry("space", [
    Entry("raw", "Cross-feature", "z-scored features (source statistics)", kind="source"),
    Entry("pca", "PCA", "PCA fitted on the source", kind="source"),
    Entry("tca", "TCA", "Transfer Component Analysis (Pan et al. 2011) on source and target training frames",
          kind="source+target"),
])

DETECTORS: Registry[Entry] = Registry("detector", [
    Entry("ocsvm", "one-class SVM", "RBF one-class SVM, scores in the log domain"),
    Entry("iforest", "Isolation Forest", "scikit-learn IsolationForest"),
    Entry("mahalanobis", "Mahalanobis", "Mahalanobis distance to a Ledoit-Wolf covariance"),
])

# beyond the seed (anomaly.beyond.variants): kind = the descriptors a variant needs
ANOMALY_VARIANTS: Registry[Entry] = Registry("anomaly variant", [
    Entry("patch_knn", "Patch kNN", "k-NN distance of each cell of a map layer to normal patches (PatchCore, "
          "Roth et al. 2022); a frame scores as its worst cells", kind="appearance"),
    Entry("motion", "Motion kNN", "per-cell histograms of Farneback optical flow, each cell against the same cell "
          "of normal frames", kind="motion"),
    Entry("appearance_motion", "Patch + motion", "the two scores standardised on held-out normal training frames "
          "and summed", kind="appearance+motion"),
])

# kind "scores": impl(labels, scores) -> value, computed for every anomaly pair and space;
# kind "domain": impl(source frames, target frames, groups_s=, groups_t=) -> a domain gap, for every pair and
#   space (no labels; the groups are the frames' clip ids, in their order, for measures that cross-validate);
# kind "cdfg": impl(risk, a, b) over a table of EERs; kind "accuracy": a classification score;
# kind "layer": impl(features, labels) -> how well features suit the labels, before any training;
# kind "source_model": impl(source-class probabilities, labels), from the backbone's own head.
MEASURES: Registry[Entry] = Registry(
    "measure",
    [
        Entry("eer", "EER (%)", "equal error rate at frame level", direction="lower", kind="scores"),
        Entry("g_part", "$G_\\mathrm{part}$", "|EER(A->A) - EER(A->B)|", direction="lower", kind="cdfg"),
        Entry("g_comp", "$G_\\mathrm{comp}$", "(G_part(A->B) + G_part(B->A)) / 2", direction="lower", kind="cdfg"),
        Entry("balanced_accuracy", "balanced accuracy (%)", direction="higher", kind="accuracy"),
        Entry(
            "pooled_balanced_accuracy",
            "pooled balanced accuracy (%)",
            "balanced accuracy of all out-of-fold predictions together",
            direction="higher",
            kind="accuracy",
        ),
        Entry("accuracy", "accuracy (%)", direction="higher", kind="accuracy"),
        Entry(
            "std",
            "sample std",
            "sample standard deviation (n - 1) of a mean's folds or splits",
            direction="lower",
            kind="spread",
        ),
        Entry("mmd2_linear", "MMD² (linear)", "unbiased MMD², linear kernel", direction="lower", kind="domain"),
        Entry(
            "mmd2_rbf",
            "MMD² (RBF)",
            "unbiased MMD², RBF kernel, median-heuristic width",
            direction="lower",
            kind="domain",
        ),
        Entry(
            "pad",
            "proxy A-distance",
            "2 (1 − 2 err), err the 5-fold CV error of a linear source-vs-target classifier",
            direction="lower",
            kind="domain",
        ),
        Entry(
            "coral",
            "CORAL distance",
            "squared Frobenius distance of the source and target covariances over 4d²",
            direction="lower",
            kind="domain",
        ),
        Entry("logme", "LogME", "You et al. 2021", direction="higher", kind="layer"),
        Entry("h_score", "H-score", "Bao et al. 2019", direction="higher", kind="layer"),
        Entry(
            "h_score_lw",
            "H-score (LW)",
            "with a Ledoit-Wolf covariance, Ibrahim et al. 2022",
            direction="higher",
            kind="layer",
        ),
        Entry("leep", "LEEP", "Nguyen et al. 2020, from the ImageNet head", direction="higher", kind="source_model"),
    ],
)
