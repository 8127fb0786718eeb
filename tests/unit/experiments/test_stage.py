"""How a stage's process ends when DVC runs it (`python -m tlbench.experiments...`): its outputs, exit code
and exit handlers as before, without the interpreter's teardown of its modules."""
import os
import subprocess
import sys

from tests.conftest import REPO

STAGE = """
import atexit, os, sys, threading
from tlbench.errors import TlbenchError
from tlbench.experiments.stage import main

class Global:
    def __del__(self, write=os.write):  # only the interpreter's teardown collects a module global
        write(1, b"torn down\\n")

kept = Global()
atexit.register(print, "exit handlers ran")

def run(params, how, progress=True):
    print("ran")  # buffered: stdout is a pipe
    (params.root_dir / "out.txt").write_text("complete")
    if how == "fails":
        raise TlbenchError("the fix")
    if how == "thread":
        threading.Thread(target=lambda: threading.Event().wait(0.3) or print("thread finished")).start()

if __name__ == "__main__":
    raise SystemExit(main(run))
"""


def _stage(tmp_path, how: str, *launch: str) -> subprocess.CompletedProcess:
    (tmp_path / "params.yaml").write_text((REPO / "params.yaml").read_text())
    (tmp_path / "fake_stage.py").write_text(STAGE)
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    return subprocess.run([sys.executable, *launch, how], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_stage_run_by_python_m_skips_the_teardown_but_not_its_output_or_exit_handlers(tmp_path):
    done = _stage(tmp_path, "works", "-m", "fake_stage")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ran", "exit handlers ran"]
    assert (tmp_path / "out.txt").read_text() == "complete"
    assert [f.name for f in (tmp_path / "reports/timings").glob("*.json")] == ["@works.json"]  # its wall time


def test_a_failing_stage_keeps_its_exit_code_and_message(tmp_path):
    done = _stage(tmp_path, "fails", "-m", "fake_stage")
    assert done.returncode == 2
    assert done.stdout.splitlines() == ["ran", "exit handlers ran"]
    assert done.stderr == "tlbench: error: the fix\n"


def test_a_stage_that_leaves_a_thread_running_exits_as_python_does(tmp_path):
    done = _stage(tmp_path, "thread", "-m", "fake_stage")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ran", "thread finished", "exit handlers ran", "torn down"]


def test_main_called_in_process_returns(tmp_path):
    """Tests and `tlbench <stage>` call main(); only the stage's own process (`python -m`) ends in it."""
    call = "import sys, fake_stage; from tlbench.experiments.stage import main; sys.exit(main(fake_stage.run))"
    done = _stage(tmp_path, "works", "-c", call)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ran", "exit handlers ran", "torn down"]
