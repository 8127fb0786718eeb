"""A no-op `dvc repro` of the whole demo pipeline against that of a one-stage DVC project, side by side
in one run (target: at most 3x). Needs an up-to-date pipeline (`make repro` first)."""
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

DVC = [sys.executable, "-m", "dvc"]


def _timed(args, cwd) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return time.perf_counter() - start


def _one_stage_project(root: Path) -> Path:
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*DVC, "init", "-q"], cwd=root, check=True)
    (root / "input.txt").write_text("hello\n")
    (root / "dvc.yaml").write_text(
        "stages:\n  copy:\n    cmd: cp input.txt output.txt\n    deps: [input.txt]\n    outs: [output.txt]\n")
    subprocess.run([*DVC, "repro", "-q"], cwd=root, check=True)
    return root


def test_noop_repro_is_at_most_3x_a_one_stage_project(benchmark, tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is needed")
    status = subprocess.run([*DVC, "status", "--json"], cwd=REPO, capture_output=True, text=True)
    if status.returncode or json.loads(status.stdout or "{}"):
        pytest.skip("the demo pipeline is not up to date: run `make repro` first")
    small = _one_stage_project(tmp_path / "one_stage")
    ours, theirs = [], []

    def one_round():
        theirs.append(_timed([*DVC, "repro"], small))
        ours.append(_timed([*DVC, "repro"], REPO))

    benchmark.pedantic(one_round, rounds=3, iterations=1)
    ratio = statistics.median(ours) / statistics.median(theirs)
    benchmark.extra_info.update(tlbench_noop_s=round(statistics.median(ours), 2),
                                one_stage_noop_s=round(statistics.median(theirs), 2), ratio=round(ratio, 2))
    print(f"no-op dvc repro: tlbench {statistics.median(ours):.2f} s, one-stage project "
          f"{statistics.median(theirs):.2f} s: {ratio:.1f}x")
    assert ratio <= 3.0
