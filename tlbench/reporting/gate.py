"""`tlbench check`: the regression gate. The experiments' metrics files (reports/metrics/*.json, the
DVC metrics) against a committed baseline, per metric family with a direction (from each metric's
measure) and a tolerance from params; a Markdown table of what moved."""
from __future__ import annotations

from pathlib import Path

from ..errors import TlbenchError
from ..io import read_json, write_json
from ..methods.registry import MEASURES
from ..params import Params
from .experiments import Metric


def collect(params: Params) -> dict[str, Metric]:
    """Every gated metric: exactly the numbers in reports/metrics/<experiment>.json."""
    from .outputs import read_metrics

    return read_metrics(params)


def compare(current: dict[str, Metric], baseline: dict[str, float], tolerances: dict) -> tuple[list[dict], bool]:
    """One row per metric that differs; failed when one got worse beyond its family's tolerance or vanished."""
    rows, failed = [], False
    for name in sorted(set(current) | set(baseline)):
        family = name.split("/")[0]
        rule = tolerances.get(family)
        if rule is None:
            raise TlbenchError(f"check.tolerance has no entry for metric family {family!r}: add one to params.yaml")
        old, new = baseline.get(name), current[name].value if name in current else None
        if old is None:
            rows.append({"metric": name, "baseline": None, "current": new, "delta": None, "status": "new"})
            continue
        if new is None:
            rows.append({"metric": name, "baseline": old, "current": None, "delta": None, "status": "missing"})
            failed = True
            continue
        delta = new - old
        if delta == 0:
            continue
        tolerance = max(float(rule.get("abs", 0)), float(rule.get("rel", 0)) * abs(old))
        worse = delta < 0 if MEASURES[current[name].measure].direction == "higher" else delta > 0
        status = "regression" if worse and abs(delta) > tolerance else ("within tolerance" if abs(delta) <= tolerance
                                                                          else "improvement")
        failed |= status == "regression"
        rows.append({"metric": name, "baseline": old, "current": new, "delta": delta, "status": status})
    return rows, failed


def markdown(rows: list[dict], n_metrics: int, baseline: Path) -> str:
    if not rows:
        return f"All {n_metrics} metrics equal the baseline ({baseline})."
    def fmt(v, sign=""):
        return "–" if v is None else f"{v:{sign}.4g}"

    lines = [f"{len(rows)} of {n_metrics} metrics differ from the baseline ({baseline}):", "",
             "| metric | baseline | current | delta | status |", "|---|---:|---:|---:|---|"]
    for r in rows:
        status = f"**{r['status']}**" if r["status"] in ("regression", "missing") else r["status"]
        lines.append(
            f"| {r['metric']} | {fmt(r['baseline'])} | {fmt(r['current'])} | {fmt(r['delta'], '+')} | {status} |"
        )
    return "\n".join(lines)


def check(params: Params, update: bool = False) -> int:
    cfg = params.get("check")
    baseline_path = params.resolve_path(cfg["baseline"])
    current = collect(params)
    if not current:
        raise TlbenchError("no metrics file under reports/metrics/: run `dvc repro` first")
    if update:
        write_json(baseline_path, {"profile": params.profile, "metrics": {k: m.value for k, m in current.items()}})
        print(f"wrote {len(current)} metrics to {baseline_path}")
        return 0
    if not baseline_path.is_file():
        raise TlbenchError(f"baseline {baseline_path} not found: create it deliberately with `tlbench check --update` "
                           f"and commit it")
    base = read_json(baseline_path)
    if base.get("profile") != params.profile:
        raise TlbenchError(f"{baseline_path} holds {base.get('profile')!r} metrics, the params say profile "
                           f"{params.profile!r}: compare like with like or set check.baseline")
    rows, failed = compare(current, base["metrics"], cfg["tolerance"])
    print(markdown(rows, len(set(current) | set(base["metrics"])), baseline_path.relative_to(params.root_dir)
                   if baseline_path.is_relative_to(params.root_dir) else baseline_path))
    return 1 if failed else 0
