"""Two Ray nodes on one machine, as a cluster of two hosts would be: `ray start --head` and a second
`ray start --address`, each with one CPU and a resource of its own. A stage's jobs land on both nodes, and a
stage run on the cluster through `dvc repro` writes the local run's bytes. Ray is the optional extra `.[ray]`
(CI installs it); without it this skips."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO
from tests.dvc_project import make_project, repro, set_params
from tests.pipeline.test_extending import write_scene

ray = pytest.importorskip("ray")
RAY = Path(sys.executable).parent / "ray"
SCENES = ("ped2", "train", "belleview")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _raylets_running() -> bool:
    """Whether a Ray node (a raylet process) runs on this machine already."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"ray/raylet/raylet" in cmdline.read_bytes():
                return True
        except OSError:  # the process ended meanwhile
            continue
    return False


def _ray_cli(*args: str) -> None:
    env = os.environ | {"PYTHONPATH": str(REPO), "RAY_USAGE_STATS_ENABLED": "0"}
    done = subprocess.run([str(RAY), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"ray {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


@pytest.fixture(scope="module")
def cluster():
    """The GCS address of a two-node cluster on this machine; stopped (every Ray process here) afterwards.
    Ray (2.59 on) requires a token for a cluster started with `ray start`: every node and every driver (this
    process, and the stages `dvc repro` runs) gets the same one, as on a real cluster."""
    import secrets

    if ray.is_initialized():
        ray.shutdown()
    if _raylets_running():
        pytest.skip("Ray already runs on this machine: this test ends with `ray stop --force`, which would stop it")
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN")}
    os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32))
    port = _free_port()
    common = ["--num-cpus=2", "--object-store-memory=150000000", "--disable-usage-stats"]
    try:
        _ray_cli("start", "--head", f"--port={port}", "--include-dashboard=false", '--resources={"first": 1}',
                 *common)
        _ray_cli("start", f"--address=127.0.0.1:{port}", '--resources={"second": 1}', *common)
        yield f"127.0.0.1:{port}"
    finally:
        if ray.is_initialized():
            ray.shutdown()
        _ray_cli("stop", "--force")
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.update({key: value})


def where_it_ran(seconds: float) -> str:
    """A job of `fan_out`: the id of the node that ran it (held a while, so that one node cannot run them all)."""
    time.sleep(seconds)
    return ray.get_runtime_context().get_node_id()


DRIVER = """
import json, sys
from types import SimpleNamespace
import ray
from tests.pipeline.test_ray_two_nodes import where_it_ran
from tlbench.params import RayParams
from tlbench.scale import connect, fan_out

settings = RayParams(address=sys.argv[1])
connect(settings)
params = SimpleNamespace(model=SimpleNamespace(extract=SimpleNamespace(backend="ray", job_threads=2), ray=settings))
print(json.dumps({"nodes": sorted(n["NodeID"] for n in ray.nodes() if n["Alive"]),
                  "cpus": ray.cluster_resources().get("CPU"),
                  "ran_on": fan_out(params, where_it_ran, [(2.0,)] * 4, "jobs", progress=False)}))
"""


def test_the_cluster_has_two_nodes_and_a_stage_s_jobs_run_on_both(cluster):
    """A driver process, as a stage is (Ray reads the token when it starts), fans four jobs out."""
    import json

    done = subprocess.run([sys.executable, "-c", DRIVER, cluster], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env=os.environ | {"PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(out["nodes"]) == 2 and out["cpus"] == 4
    assert set(out["ran_on"]) == set(out["nodes"])  # both nodes ran jobs


def _anomaly(backend: str, address: str):
    def edit(raw: dict) -> None:
        raw["anomaly"].update(scenes=list(SCENES), pca={"n_components": 4})
        raw["anomaly"]["tca"]["n_components"] = 4
        raw["extract"]["backend"] = backend
        raw["ray"].update(address=address)
    return edit


def test_a_stage_on_the_two_node_cluster_through_dvc_repro_writes_the_local_run_s_bytes(tmp_path, cluster):
    from tests.unit.test_scale import _tree_digest

    root = make_project(tmp_path / "project", {"anomaly_gamma": None, "anomaly_evaluate": None},
                        _anomaly("local", "local"))
    rng = np.random.default_rng(0)
    for scene in SCENES:
        write_scene(root, scene, rng)
    repro(root)
    local = _tree_digest(root / "data/anomaly_scores", root / "reports/records/anomaly")
    set_params(root, _anomaly("ray", cluster))
    repro(root, "-f", "-s", "anomaly_evaluate")
    assert len(local) == 2 * len(SCENES) ** 2
    assert _tree_digest(root / "data/anomaly_scores", root / "reports/records/anomaly") == local
