"""The experiments whose results the reports index lists and the gate checks, in the seed's order.
Each `tlbench.reporting.<name>` module implements its report (`EXPERIMENTS.implement(name, REPORT)`, an
`ExperimentReport` of reporting/report.py), whose metrics return {name: number}, each name ending in a
registered measure."""
from __future__ import annotations

from dataclasses import dataclass

from ..registry import Entry, Registry


@dataclass(frozen=True)
class Experiment(Entry):
    tables: tuple[str, ...] = ()  # table stems in reading order (others follow, sorted)
    params: tuple[str, ...] = ()  # the params sections its stages read (hashed into its provenance)
    main: tuple[str, ...] = ()  # the tables reproducing the seed's (reports/tables/main.tex); the rest: supplement


EXPERIMENTS: Registry[Experiment] = Registry(
    "experiment",
    [
        Experiment(
            "anomaly",
            "Video anomaly detection across domains (seed Tables 1–5)",
            tables=(
                "anomaly_eer",
                "anomaly_eer_ci",
                "anomaly_cdfg_partial",
                "anomaly_cdfg_complete",
                "anomaly_beyond_raw",
                "anomaly_beyond_raw_cdfg",
                "anomaly_beyond_pca",
                "anomaly_beyond_pca_cdfg",
                "anomaly_beyond_tca",
                "anomaly_beyond_tca_cdfg",
                "anomaly_beyond_selection",
                "anomaly_beyond_selected_settings",
                "anomaly_seed_check",
                "anomaly_transferability",
            ),
            params=("extract", "anomaly", "uncertainty"),
            main=("anomaly_eer", "anomaly_cdfg_partial", "anomaly_cdfg_complete"),
        ),
        Experiment(
            "ph2",
            "PH2 layer sweep (seed Table 6)",
            tables=(
                "ph2_features",
                "ph2_layers_three_class",
                "ph2_layers_melanoma_vs_rest",
                "ph2_features_beyond",
                "ph2_layers_three_class_beyond",
                "ph2_layers_melanoma_vs_rest_beyond",
                "ph2_transferability_three_class",
                "ph2_transferability_summary_three_class",
                "ph2_transferability_melanoma_vs_rest",
                "ph2_transferability_summary_melanoma_vs_rest",
            ),
            params=("extract", "ph2", "uncertainty"),
            main=("ph2_features", "ph2_layers_three_class", "ph2_layers_melanoma_vs_rest"),
        ),
        Experiment(
            "fusion",
            "Fruits-360 -> Supermarket Produce fusion (seed Table 7)",
            tables=("fusion", "fusion_transferability"),
            params=("extract", "finetune", "fusion", "uncertainty"),
            main=("fusion",),
        ),
        Experiment("recipes", "The seed's teaching recipes", tables=("recipes",), params=("extract", "recipes")),
    ],
)


@dataclass(frozen=True)
class Metric:
    name: str  # family/.../measure: the family picks the tolerance in check.tolerance
    value: float
    measure: str  # in MEASURES: gives the direction

    @property
    def family(self) -> str:
        return self.name.split("/")[0]
