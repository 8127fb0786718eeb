"""Scale-out on Ray (local mode, 2 CPUs): the anomaly pairs run as Ray tasks give byte-identical
records and scores to the local loop, and a task whose worker is killed is run again, not lost.
Ray is the optional extra `.[ray]` (CI installs it); without it these tests skip."""
import hashlib
import os
import signal
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from tests.conftest import REPO
from tests.dvc_project import make_project, repro, set_params
from tests.pipeline.test_extending import write_scene
from tlbench.cli import main
from tlbench.errors import TlbenchError
from tlbench.params import RayParams

ray = pytest.importorskip("ray")
SCENES = ("ped2", "train", "belleview")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _tree_digest(*folders: Path) -> dict[str, str]:
    return {str(p.relative_to(folder.parent)): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


def _anomaly_run(root: Path, backend: str) -> dict[str, str]:
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["anomaly"].update(scenes=list(SCENES), pca={"n_components": 4})
    raw["anomaly"]["tca"]["n_components"] = 4
    raw["extract"]["backend"] = backend
    raw["ray"].update(address="local", num_cpus=2)
    root.mkdir()
    params_file = root / "params.yaml"
    params_file.write_text(yaml.safe_dump(raw))
    rng = np.random.default_rng(0)
    for scene in SCENES:
        write_scene(root, scene, rng)
    assert main(["--params", str(params_file), "--no-progress", "anomaly-gamma"]) == 0
    assert main(["--params", str(params_file), "--no-progress", "anomaly-evaluate"]) == 0
    return _tree_digest(root / "data/anomaly_scores", root / "reports/records/anomaly")


def test_ray_backend_writes_byte_identical_anomaly_outputs(tmp_path, local_ray):
    local = _anomaly_run(tmp_path / "local", "local")
    on_ray = _anomaly_run(tmp_path / "ray", "ray")
    assert len(local) == 2 * len(SCENES) ** 2  # a record and a score file per pair
    assert on_ray == local


def _dies_on_first_attempt(marker: str, value: int) -> int:
    """Kills its own Ray worker process the first time it runs (as the OOM killer or a lost node would)."""
    if not os.path.exists(marker):
        Path(marker).write_text("killed once")
        os.kill(os.getpid(), signal.SIGKILL)
    return value * value


def _fake_params(max_retries: int) -> SimpleNamespace:
    model = SimpleNamespace(extract=SimpleNamespace(backend="ray", job_threads=2),
                            ray=RayParams(address="local", num_cpus=2, max_retries=max_retries))
    return SimpleNamespace(model=model)


def test_a_killed_worker_s_task_is_run_again(tmp_path, local_ray):
    from tlbench.scale import fan_out

    jobs = [(str(tmp_path / f"marker{i}"), i) for i in range(4)]
    assert fan_out(_fake_params(max_retries=2), _dies_on_first_attempt, jobs, "test", progress=False) == [0, 1, 4, 9]
    assert all(Path(marker).read_text() == "killed once" for marker, _ in jobs)


def test_without_retries_a_killed_worker_fails_the_stage_instead_of_losing_its_result(tmp_path, local_ray):
    from tlbench.scale import fan_out

    with pytest.raises(TlbenchError, match="worker"):
        fan_out(_fake_params(max_retries=0), _dies_on_first_attempt, [(str(tmp_path / "m"), 3)], "test",
                progress=False)


def _images(folder: Path, n: int) -> list[Path]:
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    paths = [folder / f"{i:02d}.png" for i in range(n)]
    for p in paths:
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(p)
    return paths


def _extract(paths, out: Path, num_workers: int = 0, **options) -> dict[str, str]:
    from tlbench.models.extract import extract_features

    extract_features(paths, "efficientnet_lite0", [-2, -5], out, progress=False, batch_size=8, num_workers=num_workers,
                     ray=RayParams(address="local", num_cpus=2, max_retries=2), **options)
    return _tree_digest(out)


@pytest.mark.parametrize("num_workers", [0, 1])  # 1: the actor decodes in its own loader worker, as the stages do
def test_ray_extraction_writes_byte_identical_features(tmp_path, local_ray, num_workers):
    paths = _images(tmp_path / "images", 28)  # 3 full batches and a short one
    local = _extract(paths, tmp_path / "local", num_workers)
    on_ray = _extract(paths, tmp_path / "ray", num_workers, backend="ray")
    assert len(local) == 3 and {k.replace("ray/", "local/", 1): v for k, v in on_ray.items()} == local


class KillsItsActorOnce:
    """An image source whose image 9 kills the process decoding it, the first time only."""

    def __init__(self, paths, marker: str):
        from tlbench.data.sources import PathSource

        self.source, self.marker = PathSource(paths), marker

    def __len__(self):
        return len(self.source)

    def image(self, i: int):
        if i == 9 and not os.path.exists(self.marker):
            Path(self.marker).write_text("killed once")
            os.kill(os.getpid(), signal.SIGKILL)
        return self.source.image(i)


def test_a_killed_extraction_actor_is_restarted_and_its_batch_run_again(tmp_path, local_ray):
    paths = _images(tmp_path / "images", 20)
    local = _extract(paths, tmp_path / "local")
    marker = tmp_path / "marker"
    on_ray = _extract(KillsItsActorOnce(paths, str(marker)), tmp_path / "ray", backend="ray")
    assert marker.read_text() == "killed once"
    assert {k.replace("ray/", "local/", 1): v for k, v in on_ray.items()} == local


def _pids_titled(prefix: bytes) -> set[int]:
    """This test's processes whose title starts with `prefix` (Ray names an actor's process `ray::<class>`);
    the local Ray cluster runs under the test process, so another Ray on the machine (a second CI) is not counted."""
    import psutil

    out = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if Path(f"/proc/{child.pid}/cmdline").read_bytes().startswith(prefix):
                out.add(child.pid)
        except OSError:
            continue
    return out


def test_a_stage_s_later_extractions_reuse_its_ray_actor_and_its_tasks_get_the_cpus_back(tmp_path, local_ray):
    """The second extraction runs on the first one's actor process (no second start-up), with the local
    run's bytes; a later fan-out's tasks, which need the CPUs the idle actor holds, still run."""
    from concurrent.futures import ThreadPoolExecutor

    from tlbench.scale import fan_out

    paths = _images(tmp_path / "images", 20)
    local = _extract(paths, tmp_path / "local")
    first = _extract(paths, tmp_path / "ray1", backend="ray")
    actors = _pids_titled(b"ray::_ExtractionActor")
    second = _extract(paths, tmp_path / "ray2", backend="ray", tta=("hflip",))
    assert len(actors) == 1 and _pids_titled(b"ray::_ExtractionActor") == actors
    assert {k.replace("ray1/", "local/", 1): v for k, v in first.items()} == local
    flipped_local = _extract(paths, tmp_path / "local2", tta=("hflip",))
    assert {k.replace("ray2/", "local2/", 1): v for k, v in second.items()} == flipped_local
    with ThreadPoolExecutor(1) as pool:  # 2 CPUs, both held by the idle actor unless fan_out gives them back
        job = pool.submit(fan_out, _fake_params(max_retries=0), _thread_counts, [()], "test", progress=False)
        assert job.result(timeout=120) == [(2, [2])]


def test_a_tta_extraction_on_ray_reads_the_images_own_view_as_the_local_one_does(tmp_path, local_ray):
    paths = _images(tmp_path / "images", 20)
    _extract(paths, tmp_path / "plain")
    local = _extract(paths, tmp_path / "local", tta=("hflip",), unaugmented=tmp_path / "plain")
    on_ray = _extract(paths, tmp_path / "ray", backend="ray", tta=("hflip",), unaugmented=tmp_path / "plain")
    computed = _extract(paths, tmp_path / "computed", tta=("hflip",))
    assert {k.replace("ray/", "local/", 1): v for k, v in on_ray.items()} == local
    assert {k.replace("computed/", "local/", 1): v for k, v in computed.items()} == local


def _with_scenes_and_backend(backend: str):
    def edit(raw: dict) -> None:
        raw["anomaly"].update(scenes=list(SCENES), pca={"n_components": 4})
        raw["anomaly"]["tca"]["n_components"] = 4
        raw["extract"]["backend"] = backend
        raw["ray"].update(address="local", num_cpus=2)
    return edit


def test_a_stage_on_ray_through_dvc_repro_writes_the_local_run_s_bytes(tmp_path):
    """DVC runs the stage as `python -m`: on Ray its jobs must still find the registered measures (they
    did not when the job travelled by value) and round as the local run does (the same thread count)."""
    root = make_project(tmp_path / "project", {"anomaly_gamma": None, "anomaly_evaluate": None},
                        _with_scenes_and_backend("local"))
    rng = np.random.default_rng(0)
    for scene in SCENES:
        write_scene(root, scene, rng)
    repro(root)
    local = _tree_digest(root / "data/anomaly_scores", root / "reports/records/anomaly")
    set_params(root, _with_scenes_and_backend("ray"))
    repro(root, "-f", "-s", "anomaly_evaluate")
    assert len(local) == 2 * len(SCENES) ** 2
    assert _tree_digest(root / "data/anomaly_scores", root / "reports/records/anomaly") == local


def _thread_counts() -> tuple[int, list[int]]:
    import torch
    from threadpoolctl import threadpool_info

    return torch.get_num_threads(), sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})


def test_jobs_run_on_the_same_threads_on_both_backends(local_ray):
    """How a sum is split over threads changes its rounding: a Ray worker (OMP_NUM_THREADS=1) and the
    local loop (every core) gave score files that differed by up to 0.26 %."""
    from tlbench.scale import fan_out

    params = _fake_params(max_retries=0)
    local = fan_out(SimpleNamespace(model=SimpleNamespace(extract=SimpleNamespace(backend="local", job_threads=2))),
                    _thread_counts, [()], "test", progress=False)
    on_ray = fan_out(params, _thread_counts, [()], "test", progress=False)
    assert local == on_ray == [(2, [2])]


def _ray_task_pids() -> list[int]:
    """Ray workers while they run a tlbench job (their process title is `ray::tlbench:<job>`)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"ray::tlbench:"):
                out.append(int(entry))
    return out


def _kill_first_ray_task(killed: list, stop) -> None:
    while not stop.is_set() and not killed:
        for pid in _ray_task_pids():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            break
        stop.wait(0.01)


def test_a_worker_killed_mid_stage_is_replaced_and_the_outputs_are_the_local_run_s(tmp_path):
    """kill -9 of a Ray worker while a stage (run as `python -m`, as DVC does) computes a pair: the
    pair runs again and every output is byte-identical to the local run's."""
    import subprocess
    import sys
    import threading

    from tests.dvc_project import environment

    def edit(raw: dict) -> None:
        _with_scenes_and_backend("ray")(raw)
        raw["anomaly"]["scenes"] = ["ped2", "train"]
        raw["anomaly"]["detector"]["gamma"] = "scale"

    root = make_project(tmp_path / "project", {"anomaly_evaluate": None}, edit)
    rng = np.random.default_rng(0)
    for scene in ("ped2", "train"):
        write_scene(root, scene, rng, n_train=1500, n_test=400, dim=32)  # a pair takes about a second
    stage = [sys.executable, "-m", "tlbench.experiments.anomaly.evaluate", "--no-progress"]
    killed, stop = [], threading.Event()
    killer = threading.Thread(target=_kill_first_ray_task, args=(killed, stop))
    killer.start()
    try:
        done = subprocess.run(stage, cwd=root, env=environment(), capture_output=True, text=True, timeout=600)
    finally:
        stop.set()
        killer.join()
    assert done.returncode == 0, done.stderr[-3000:]
    assert killed, "no Ray worker was seen running a job"
    on_ray = _tree_digest(root / "data/anomaly_scores", root / "reports/records/anomaly")
    set_params(root, lambda raw: raw["extract"].update(backend="local"))
    subprocess.run(stage, cwd=root, env=environment(), check=True, capture_output=True, timeout=600)
    assert _tree_digest(root / "data/anomaly_scores", root / "reports/records/anomaly") == on_ray
