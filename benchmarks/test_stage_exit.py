"""A network stage's process from start to end, as DVC runs it (`python -m`, ending without the
interpreter's teardown: tlbench/experiments/stage.py) and as an in-process call of the same stage ends
(the ordinary exit), alternated in one run. The stage only imports torch, torchvision and timm, which every
network stage does, so the difference is the teardown. Numbers: reports/MEASUREMENTS.md ("tenth round")."""
import os
import statistics
import subprocess
import sys
import time

from tests.conftest import REPO

STAGE = """
from tlbench.experiments.stage import main

def run(params, progress=True):
    import timm, torch, torchvision  # noqa: F401

if __name__ == "__main__":
    raise SystemExit(main(run))
"""
ORDINARY = "import sys, network_stage; from tlbench.experiments.stage import main; sys.exit(main(network_stage.run))"


def _seconds(folder, launch: list[str]) -> float:
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(folder), str(REPO)])}
    start = time.perf_counter()
    subprocess.run([sys.executable, *launch], cwd=folder, env=env, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def test_a_network_stage_ends_faster_without_the_interpreter_s_teardown(benchmark, tmp_path):
    (tmp_path / "params.yaml").write_text((REPO / "params.yaml").read_text())
    (tmp_path / "network_stage.py").write_text(STAGE)
    launches = {"python -m": ["-m", "network_stage"], "ordinary exit": ["-c", ORDINARY]}
    times = {name: [] for name in launches}
    _seconds(tmp_path, launches["python -m"])  # warm the file cache
    for _ in range(3):
        for name, launch in launches.items():
            times[name].append(_seconds(tmp_path, launch))
    times["python -m"].append(benchmark.pedantic(_seconds, args=(tmp_path, launches["python -m"]), rounds=1))
    ratio = statistics.median(times["ordinary exit"]) / statistics.median(times["python -m"])
    benchmark.extra_info.update(seconds=times, ratio=round(ratio, 2))
    print(f"\na stage importing torch, torchvision and timm, start to end: {times} s, {ratio:.2f}x")
    assert ratio >= 1.15
