"""kill -9 in the middle of a stage, run by `dvc repro` as users run it: the rerun completes, sweeps
the killed writer's temporary folder, and leaves `dvc status` clean (a leftover inside
data/features/anomaly once kept anomaly_gamma, anomaly_evaluate and anomaly_beyond "modified")."""
import time

import psutil

from tests.dvc_project import dvc, environment, make_project, repro, status

SCENE_ITEM = {"ped2": "UCSD_Anomaly_Dataset.v1p2"}


def _one_scene(raw: dict) -> None:
    raw["anomaly"]["scenes"] = ["ped2"]
    raw["anomaly"]["pca"] = {"n_components": 4}
    raw["anomaly"]["tca"]["n_components"] = 4


def _leftovers(root):
    return sorted(p.name for p in (root / "data/features/anomaly").glob(".tlbench-tmp-*"))


def _anomaly_features_begun(root) -> bool:
    return (root / "data/features/anomaly").is_dir() and bool(_leftovers(root))


def _kill_stage_when_it_writes(root, module: str, begun=_anomaly_features_begun) -> int:
    """Start `dvc repro`; once `begun(root)` (by default: the stage has a temporary output folder), SIGKILL the
    stage's process.
    DVC's output goes to a file, not a pipe: waiting for a pipe's end also waits for every process that
    inherited it; the exit of `dvc repro` is what counts, and what is left running is named on a timeout."""
    import subprocess

    log = open(root.parent / "dvc_repro.log", "wb")
    proc = subprocess.Popen([dvc(), "repro"], cwd=root, env=environment(), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while not begun(root):
        assert proc.poll() is None and time.monotonic() < deadline, "the stage ended before it was killed"
        time.sleep(0.05)
    stages = [p for p in psutil.Process(proc.pid).children(recursive=True) if module in " ".join(p.cmdline())]
    assert stages, "the stage's process was not found"
    for p in stages:
        p.kill()
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        left = [
            (p.pid, p.status(), " ".join(p.cmdline())[:120]) for p in psutil.Process(proc.pid).children(recursive=True)
        ]
        proc.kill()
        raise AssertionError(f"dvc repro did not exit within 120 s of the kill; still running: {left}; output: "
                             f"{(root.parent / 'dvc_repro.log').read_text(errors='replace')[-2000:]}") from None
    finally:
        log.close()
    return proc.returncode


def _running_in(root) -> list:
    """Processes still working in the project: a stage's helper that outlived the kill."""
    left = []
    for p in psutil.process_iter(["pid", "cwd", "cmdline", "status"]):
        if p.info["cwd"] and p.info["cwd"].startswith(str(root)) and p.info["status"] != psutil.STATUS_ZOMBIE:
            left.append((p.info["pid"], " ".join(p.info["cmdline"] or [])[:120]))
    return left


def _none_running_in(root, within: float = 10.0) -> list:
    deadline = time.monotonic() + within
    while (left := _running_in(root)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_kill_9_mid_extraction_then_rerun_leaves_dvc_status_clean(tmp_path):
    from tlbench.data.demo.video import write_ucsd

    root = make_project(tmp_path / "project", {"anomaly_extract": {"foreach": SCENE_ITEM}, "anomaly_gamma": None},
                        _one_scene)
    write_ucsd(root / "data/demo/UCSD_Anomaly_Dataset.v1p2", seed=0, train_clips=2, test_clips=2, frames_per_clip=24)
    assert _kill_stage_when_it_writes(root, "tlbench.experiments.anomaly.extract") != 0
    assert _leftovers(root), "the kill left no temporary folder: the test did not kill mid-write"
    assert not (root / "data/features/anomaly/ped2").exists()  # nothing half-written in place
    assert _none_running_in(root) == []  # its loader workers died with it
    repro(root)
    assert _leftovers(root) == []
    assert (root / "data/features/anomaly/ped2/test/meta.json").is_file()
    assert "Data and pipelines are up to date" in status(root)


def test_kill_9_while_the_demo_twins_are_written_in_parallel_then_rerun_leaves_dvc_status_clean(tmp_path):
    """demo_data writes the PH2 twin's images from several pool workers into one temporary folder: a kill
    leaves no half-written data/demo, no worker behind, and the rerun writes every twin."""
    def small_twins(raw: dict) -> None:
        d = raw["demo_data"]
        d["ph2"].update(counts=[16, 16, 8])
        d["supermarket"].update(per_class=4, size=[64, 48])
        d["ucsd"].update(train_clips=2, test_clips=2, frames_per_clip=12)
        d["york"].update(n_frames=40, size=[64, 48], anomalies={"belleview": [[25, 30]], "train": [[30, 35]]})
        d["cifar10"].update(train_per_class=5, test_per_class=2)

    def ph2_images_begun(root) -> bool:
        return any((root / "data").glob(".tlbench-tmp-*-demo-*/PH2Dataset/PH2 Dataset images/*/*_lesion/*.bmp"))

    root = make_project(tmp_path / "project", {"demo_data": None}, small_twins)
    assert _kill_stage_when_it_writes(root, "tlbench.experiments.demo_data", ph2_images_begun) != 0
    assert not (root / "data/demo").exists()  # nothing half-written in place
    assert _none_running_in(root) == []  # the pool's workers died with the stage
    repro(root)
    assert sorted(p.name for p in (root / "data").glob(".tlbench-tmp-*")) == []
    ph2 = root / "data/demo/PH2Dataset"
    assert len(list((ph2 / "PH2 Dataset images").iterdir())) == 40 and (ph2 / "PH2_dataset.txt").is_file()
    assert "Data and pipelines are up to date" in status(root)
