"""`tlbench check`: the regression gate. Current metrics against a committed baseline, per metric
family with a direction and a tolerance from params; a Markdown table of what moved."""
from __future__ import annotations

from pathlib import Path

from .config import Params
from .errors import TlbenchError
from .io import read_json, read_jsonl, write_json


def collect(params: Params) -> dict[str, float]:
    """Every gated metric of the current results as {family/name: value}; missing files are skipped
    (a metric that disappears is then reported against the baseline)."""
    m: dict[str, float] = {}
    root = params.resolve_path("reports/metrics")
    if (root / "ph2_summary.json").is_file():
        for bb, layers in read_json(root / "ph2_summary.json")["ph2_layers"].items():
            for layer, tasks in layers.items():
                for task, protocols in tasks.items():
                    for protocol, v in protocols.items():
                        m[f"ph2/{bb}/{layer}/{task}/{protocol}"] = v["mean"]
    for f in sorted((root / "anomaly").glob("*.json")) if (root / "anomaly").is_dir() else []:
        for r in read_json(f)["rows"]:
            m[f"anomaly/{r['source']}->{r['target']}/{r['space']}"] = r["eer"]
    if (root / "fusion_summary.json").is_file():
        for col, sizes in read_json(root / "fusion_summary.json")["fusion"].items():
            for n, v in sizes.items():
                m[f"fusion/{col}/{n}"] = v
    if (root / "recipes.json").is_file():
        for r in read_json(root / "recipes.json")["results"]:
            m[f"recipes/{r['recipe']}"] = round(100 * r["mean"], 4)
    if (root / "finetune_history.jsonl").is_file():
        m["finetune/val_accuracy"] = round(100 * read_jsonl(root / "finetune_history.jsonl")[-1]["val_accuracy"], 4)
    return m


def compare(current: dict[str, float], baseline: dict[str, float], rules: dict) -> tuple[list[dict], bool]:
    rows, failed = [], False
    for name in sorted(set(current) | set(baseline)):
        family = name.split("/")[0]
        rule = rules.get(family)
        if rule is None:
            raise TlbenchError(f"check.rules has no entry for metric family {family!r}: add one to params.yaml")
        old, new = baseline.get(name), current.get(name)
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
        worse = delta < 0 if rule["direction"] == "higher" else delta > 0
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
        lines.append(f"| {r['metric']} | {fmt(r['baseline'])} | {fmt(r['current'])} | {fmt(r['delta'], '+')} | {status} |")
    return "\n".join(lines)


def check(params: Params, update: bool = False) -> int:
    cfg = params.get("check")
    baseline_path = params.resolve_path(cfg["baseline"])
    current = collect(params)
    if not current:
        raise TlbenchError("no metrics found under reports/metrics: run `dvc repro` first")
    if update:
        write_json(baseline_path, {"profile": params.profile, "metrics": current})
        print(f"wrote {len(current)} metrics to {baseline_path}")
        return 0
    if not baseline_path.is_file():
        raise TlbenchError(f"baseline {baseline_path} not found: create it deliberately with `tlbench check --update` "
                           f"and commit it")
    base = read_json(baseline_path)
    if base.get("profile") != params.profile:
        raise TlbenchError(f"{baseline_path} holds {base.get('profile')!r} metrics, the params say profile "
                           f"{params.profile!r}: compare like with like or set check.baseline")
    rows, failed = compare(current, base["metrics"], cfg["rules"])
    print(markdown(rows, len(set(current) | set(base["metrics"])), baseline_path.relative_to(params.root_dir)
                   if baseline_path.is_relative_to(params.root_dir) else baseline_path))
    return 1 if failed else 0
