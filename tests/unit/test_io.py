"""tlbench/io.py: atomic writes with unique temporary names, the sweep of killed writers' leftovers,
and reads that turn a missing, truncated or corrupt file into one line naming it and the fix."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tlbench.errors import TlbenchError
from tlbench.io import atomic_dir, atomic_path, load_npy, read_json, read_jsonl, sweep_stale, write_json


def test_two_writers_of_one_path_get_different_temporary_files(tmp_path):
    target = tmp_path / "figure.pdf"
    with atomic_path(target) as first, atomic_path(target) as second:
        assert first != second and first.parent == second.parent == tmp_path
        first.write_text("first")
        second.write_text("second")
    assert target.read_text() == "first"  # the outer writer finished last
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure.pdf"]


def test_a_figure_saved_while_another_saves_the_same_stem_does_not_fail(tmp_path):
    """`tlbench anomaly-report` twice at once: both write reports/figures/anomaly/*.pdf."""
    from tlbench.reporting.figures import pyplot, save_figure

    plt = pyplot()
    outer, inner = plt.subplots(figsize=(3.5, 2))[0], plt.subplots(figsize=(3.5, 2))[0]  # a column wide
    real_savefig = outer.savefig

    def savefig_while_another_writer_runs(path, **kwargs):
        real_savefig(path, **kwargs)
        if kwargs["format"] == "pdf":
            save_figure(inner, tmp_path / "roc")

    outer.savefig = savefig_while_another_writer_runs
    written = save_figure(outer, tmp_path / "roc")
    assert [p.name for p in written] == ["roc.png", "roc.pdf"] and all(p.stat().st_size > 0 for p in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roc.pdf", "roc.png"]


def _killed_mid_write(folder: Path) -> None:
    """A process that dies by SIGKILL inside atomic_dir, as the OOM killer would stop a stage."""
    code = ("import os, signal, sys\nfrom tlbench.io import atomic_dir\n"
            "with atomic_dir(sys.argv[1]) as tmp:\n    (tmp / 'half.npy').write_bytes(b'x')\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    done = subprocess.run([sys.executable, "-c", code, str(folder / "ped2")])
    assert done.returncode == -signal.SIGKILL


def test_a_killed_writer_s_leftover_is_swept_by_the_next_write_beside_it(tmp_path):
    _killed_mid_write(tmp_path)
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".tlbench-tmp-")]
    assert len(leftovers) == 1 and (leftovers[0] / "half.npy").is_file()
    with atomic_dir(tmp_path / "ped2") as tmp:
        (tmp / "done.npy").write_bytes(b"y")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ped2"]


def test_a_live_writer_s_temporary_file_is_kept(tmp_path):
    with atomic_path(tmp_path / "records.json") as mine:
        mine.write_text("{}")
        dead = tmp_path / ".tlbench-tmp-old-name-without-pid"
        dead.mkdir()
        assert sweep_stale(tmp_path) == [dead]
        assert mine.exists()


def _state(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2]


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads process states from Linux's /proc")
def test_a_killed_writer_not_yet_reaped_is_dead(tmp_path):
    """A writer killed after its parent died stays a zombie where pid 1 reaps nobody (a container's): the pid
    still answers kill(pid, 0), yet the writer writes nothing more (CI once kept such a leftover)."""
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        leftover = tmp_path / f".tlbench-tmp-{writer.pid}-ped2-abc123"
        leftover.mkdir()
        assert sweep_stale(tmp_path) == [] and leftover.is_dir()  # alive: kept
        os.kill(writer.pid, signal.SIGKILL)  # not waited for: it stays a zombie
        deadline = time.monotonic() + 10
        while _state(writer.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _state(writer.pid) == "Z"
        assert sweep_stale(tmp_path) == [leftover] and not leftover.exists()
    finally:
        writer.kill()
        writer.wait()


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads process start times from Linux's /proc")
def test_a_leftover_whose_pid_now_names_a_later_process_is_swept(tmp_path):
    """A new container numbers its processes as the killed run's did: a live process that started after the
    leftover was last changed cannot have written it."""
    leftover = tmp_path / f".tlbench-tmp-{os.getpid()}-ped2-abc123"
    leftover.mkdir()
    assert sweep_stale(tmp_path) == []  # written after this process started: a live writer's, kept
    day_ago = time.time() - 86400  # long before this test process started
    os.utime(leftover, (day_ago, day_ago))
    assert sweep_stale(tmp_path) == [leftover] and not leftover.exists()


def test_a_truncated_npy_names_the_file_and_the_stage_that_rewrites_it(tmp_path):
    path = tmp_path / "data/features/anomaly/ped2/train/pool.npy"
    path.parent.mkdir(parents=True)
    np.save(path, np.zeros((100, 64), np.float32))
    path.write_bytes(path.read_bytes()[:2000])
    for mmap in (True, False):
        with pytest.raises(
            TlbenchError, match=rf"{path} is truncated or corrupt .*dvc repro -s -f anomaly_extract@ped2"
        ):
            load_npy(path, mmap=mmap)


def test_garbage_in_a_records_json_names_the_file_and_the_stage(tmp_path):
    path = tmp_path / "reports/records/anomaly/ped1__ped2.json"
    write_json(path, {"rows": []})
    path.write_text('{"rows": [')
    with pytest.raises(TlbenchError, match=rf"{path} is not valid JSON .*dvc repro -s -f anomaly_evaluate"):
        read_json(path)
    lines = tmp_path / "reports/records/fusion.jsonl"
    lines.write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(TlbenchError, match=rf"{lines} is not valid JSON lines .*fusion_evaluate"):
        read_jsonl(lines)


def test_a_missing_motion_meta_names_the_motion_stage(tmp_path):
    with pytest.raises(TlbenchError, match=r"meta.json not found: run `dvc repro -s -f anomaly_motion@ped2`"):
        read_json(tmp_path / "data/features/anomaly_motion/ped2/train/meta.json")


def test_a_stage_run_as_python_m_on_a_truncated_feature_file_prints_one_line(tmp_path):
    import yaml

    from tests.conftest import REPO
    from tests.dvc_project import environment
    from tests.pipeline.test_extending import write_scene

    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["anomaly"].update(scenes=["ped2"], detector=raw["anomaly"]["detector"] | {"gamma": "scale"})
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    write_scene(tmp_path, "ped2", np.random.default_rng(0))
    pool = tmp_path / "data/features/anomaly/ped2/test/pool.npy"
    pool.write_bytes(pool.read_bytes()[:300])
    done = subprocess.run([sys.executable, "-m", "tlbench.experiments.anomaly.evaluate", "--no-progress"],
                          cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"tlbench: error: {pool} is truncated or corrupt (mmap length is greater than file size): "
        f"re-run `dvc repro -s -f anomaly_extract@ped2`"]
    assert not (tmp_path / "reports/records/anomaly").exists()  # nothing half-written


def test_a_stage_starts_by_sweeping_what_killed_stages_left(tmp_path, capsys):
    """A leftover inside data/features/anomaly kept the stages that depend on the folder "modified"."""
    from tests.conftest import REPO
    from tlbench.experiments.stage import execute

    (tmp_path / "params.yaml").write_text((REPO / "params.yaml").read_text())
    _killed_mid_write(tmp_path / "data/features/anomaly")
    dead = next((tmp_path / "data/features/anomaly").glob(".tlbench-tmp-*"))
    seen = []
    assert (
        execute(
            lambda params, progress=True: seen.append(dead.exists()),
            "tlbench.experiments.x",
            str(tmp_path / "params.yaml"),
            [],
        )
        == 0
    )
    assert seen == [False] and f"removed {dead}, left by a killed stage" in capsys.readouterr().out
