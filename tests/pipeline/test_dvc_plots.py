"""`dvc plots show` renders every plot dvc.yaml declares: data plots with a spec and data points,
image plots with their PNG (the committed plot files of the demo)."""
import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO


def rendered(tmp_path) -> dict:
    dvc = Path(sys.executable).with_name("dvc")
    run = subprocess.run([str(dvc), "plots", "show", "--json", "-o", str(tmp_path / "plots")], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout[run.stdout.index("{"):])
    assert not out.get("errors"), out["errors"]
    return out["data"]


def test_every_declared_plot_renders_with_data(tmp_path):
    plots = rendered(tmp_path)
    declared = [
        next(iter(p)) if isinstance(p, dict) else p for p in yaml.safe_load((REPO / "dvc.yaml").read_text())["plots"]
    ]
    for name in declared:  # a folder gives one plot per file in it
        assert any(key == name or key.startswith(name + "/") or key.endswith("::" + name) for key in plots), name
    for key, entries in plots.items():
        assert entries, key
        for entry in entries:
            if entry["type"] == "vega":
                spec = entry["content"]
                assert (
                    spec.get("data", {}).get("values") and spec.get("encoding") or spec.get("layer") or spec.get("spec")
                ), key
                assert all(v for v in spec["data"]["values"]), key
            else:
                assert entry["type"] == "image" and Path(entry["url"]).read_bytes()[:4] == b"\x89PNG", key
