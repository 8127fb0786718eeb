"""Start-up: how long a stage takes to reject a params.yaml with a typo (target: under 2 s, before
any stage work), and `tlbench layers`."""
import subprocess
import sys
import time

import yaml

from tests.conftest import REPO


def run_once(args, cwd) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - start, done


def test_typo_in_params_fails_in_under_2_s(benchmark, tmp_path):
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["ph2"]["svm"]["c"] = raw["ph2"]["svm"].pop("C")
    bad = tmp_path / "params.yaml"
    bad.write_text(yaml.safe_dump(raw))
    args = ["-m", "tlbench.experiments.ph2.evaluate", "--params", str(bad)]
    seconds, done = benchmark.pedantic(run_once, args=(args, REPO), rounds=3, iterations=1)
    assert done.returncode == 2 and "unknown key `ph2.svm.c` (did you mean `C`?)" in done.stderr
    assert benchmark.stats.stats.median < 2.0


def test_tlbench_layers(benchmark):
    seconds, done = benchmark.pedantic(run_once, args=(["-m", "tlbench.cli", "layers"], REPO), rounds=3, iterations=1)
    assert done.returncode == 0 and "efficientnet_lite0" in done.stdout
