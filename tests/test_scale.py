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
from tests.test_extending import write_scene
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
    model = SimpleNamespace(extract=SimpleNamespace(backend="ray"),
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


def _extract(paths, out: Path, **options) -> dict[str, str]:
    from tlbench.models.extract import extract_features

    extract_features(paths, "efficientnet_lite0", [-2, -5], out, progress=False, batch_size=8, num_workers=0,
                     ray=RayParams(address="local", num_cpus=2, max_retries=2), **options)
    return _tree_digest(out)


def test_ray_extraction_writes_byte_identical_features(tmp_path, local_ray):
    paths = _images(tmp_path / "images", 28)  # 3 full batches and a short one
    local = _extract(paths, tmp_path / "local")
    on_ray = _extract(paths, tmp_path / "ray", backend="ray")
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
