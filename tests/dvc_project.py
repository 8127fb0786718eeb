"""Small DVC projects in a temporary folder, made of the real dvc.yaml's stages (their data deps,
params and outs; the code is the installed package) and the repository's params.yaml and .dvcignore,
so that tests run stages the way users do: `dvc repro`, which runs each as `python -m` (its module is
then `__main__`)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO


def dvc() -> str:
    local = REPO / ".venv/bin/dvc"
    return str(local) if local.exists() else shutil.which("dvc")


def make_project(root: Path, stages: dict[str, dict | None], edit_params=None) -> Path:
    """`stages`: {name: None (as in dvc.yaml) or {"foreach": ...} (a foreach stage over other items)}."""
    real = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    chosen = {}
    for name, override in stages.items():
        stage = real[name] | (override or {})
        body = stage.get("do", stage)
        body = body | {"deps": [d for d in body["deps"] if not d.startswith("tlbench/")]}
        chosen[name] = stage | {"do": body} if "do" in stage else body
    root.mkdir(parents=True, exist_ok=True)
    (root / "dvc.yaml").write_text(yaml.safe_dump({"stages": chosen}, sort_keys=False))
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    if edit_params:
        edit_params(raw)
    (root / "params.yaml").write_text(yaml.safe_dump(raw))
    shutil.copy(REPO / ".dvcignore", root / ".dvcignore")
    subprocess.run([dvc(), "init", "--no-scm", "-q"], cwd=root, env=environment(), check=True)
    with open(root / ".dvc/config", "a") as config:  # the repository's settings
        config.write("    analytics = false\n    check_update = false\n")
    return root


def set_params(root: Path, edit) -> None:
    raw = yaml.safe_load((root / "params.yaml").read_text())
    edit(raw)
    (root / "params.yaml").write_text(yaml.safe_dump(raw))


def environment() -> dict:
    """This interpreter's `python` first on PATH, as `make repro` puts the venv's; no DVC analytics or update
    check (as the repository's .dvc/config): with no network their detached reporters only add waiting."""
    return os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                         "DVC_NO_ANALYTICS": "1"}


def repro(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([dvc(), "repro", *args], cwd=root, env=environment(), capture_output=True, text=True,
                          timeout=600)
    if check:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def status(root: Path) -> str:
    return subprocess.run([dvc(), "status"], cwd=root, env=environment(), capture_output=True, text=True,
                          check=True, timeout=120).stdout
