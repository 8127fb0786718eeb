"""What a report stage writes beside its tables: the experiment's metrics (one flat JSON of numbers,
the DVC metrics file that `tlbench check` gates) and its provenance (versions, preprocessing,
weights, seeds, params hash: not metrics, so `dvc metrics`/`dvc exp show` stay numbers only)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .. import paths
from ..errors import TlbenchError
from ..io import read_json, write_json
from ..methods.registry import MEASURES
from .experiments import EXPERIMENTS, Metric

INTERVAL_BOUNDS = ("ci_low", "ci_high")  # anomaly/ped1->ped2/raw/eer/ci_low: the interval of .../eer


def is_interval_bound(name: str) -> bool:
    """A confidence bound of a metric: in the metrics files (dvc metrics show), not gated."""
    return name.rsplit("/", 1)[-1] in INTERVAL_BOUNDS


def measure_of(name: str) -> str:
    """A metric's measure is the last part of its name: anomaly/ped1->ped2/raw/eer -> eer (the part before
    for an interval bound, .../eer/ci_low)."""
    last = (name.rsplit("/", 2)[-2] if is_interval_bound(name) else name.rsplit("/", 1)[-1])
    if last not in MEASURES:
        raise TlbenchError(f"metric {name!r} does not end in a registered measure (tlbench/methods/registry.py)")
    return last


def checked_metrics(values: dict[str, float]) -> dict[str, float]:
    """The metrics sorted by name; a name that does not end in a registered measure, or a value that is not a
    number, is an error naming it."""
    for name, value in values.items():
        measure_of(name)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TlbenchError(f"metric {name!r} is {value!r}: metrics files hold numbers only")
    return dict(sorted(values.items()))


def write_metrics(params, experiment: str, values: dict[str, float]) -> Path:
    """reports/metrics/<experiment>.json: the numbers its report computed from its records (`ExperimentReport`)."""
    path = write_json(params.resolve_path(paths.metrics(experiment)), checked_metrics(values))
    print(f"wrote {path}")
    return path


def read_metrics(params) -> dict[str, Metric]:
    """Every experiment's metrics file that exists (a missing one is reported by the gate as missing metrics),
    without the interval bounds: an interval moves with every change of its resampling, the gate gates values."""
    out = {}
    for name in EXPERIMENTS:
        path = params.resolve_path(paths.metrics(name))
        if path.is_file():
            out |= {k: Metric(k, float(v), measure_of(k)) for k, v in read_json(path).items()
                    if not is_interval_bound(k)}
    return out


def params_section(params, experiment: str) -> dict:
    keys = EXPERIMENTS[experiment].params + ("profile", "seed", f"profiles.{params.profile}")
    section = {key: params.get(key) for key in keys}
    if isinstance(section.get("extract"), dict):  # where the jobs ran changes no number (byte-identical)
        section["extract"] = {k: v for k, v in section["extract"].items() if k not in NOT_PROVENANCE}
    return section


NOT_PROVENANCE = ("backend",)


def write_provenance(params, experiment: str, record: dict, versions: dict[str, str]) -> Path:
    """reports/provenance/<experiment>.json: what produced the numbers, without anything that changes per run.

    `versions` are the libraries that the evaluate stage recorded beside its numbers, not the report stage's:
    DVC skips a report whose records did not change, so versions read here would go stale after an upgrade
    and appear only on a forced rerun (a `dvc repro -f` that changed the provenance and nothing else)."""
    if not versions:
        raise TlbenchError(f"no library versions recorded for {experiment}: re-run its evaluate stage (`dvc repro`)")
    section = params_section(params, experiment)
    digest = hashlib.sha256(json.dumps(section, sort_keys=True, default=str).encode()).hexdigest()
    path = write_json(params.resolve_path(paths.provenance(experiment)), {
        "experiment": experiment, "profile": params.profile, "random_seed": params.seed,
        "synthetic_data": params.settings.synthetic, "params_sha256": digest, "params": section,
        "versions": dict(sorted(versions.items()))} | record)
    print(f"wrote {path}")
    return path
