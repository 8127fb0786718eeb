"""Helper processes die with the process that started them, even after its kill -9."""
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

STAGE = """
import sys, time
from concurrent.futures import ProcessPoolExecutor
from tlbench.processes import worker_init

guarded = sys.argv[1] == "guarded"
pool = ProcessPoolExecutor(1, initializer=worker_init() if guarded else None)
print(pool.submit(__import__("os").getpid).result(), flush=True)
pool.submit(time.sleep, 600)
time.sleep(600)
"""


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("guarded", [True, False])
def test_a_worker_dies_with_its_killed_parent(guarded):
    stage = subprocess.Popen([sys.executable, "-c", STAGE, "guarded" if guarded else "bare"],
                             stdout=subprocess.PIPE, text=True)
    worker = int(stage.stdout.readline())
    try:
        stage.send_signal(signal.SIGKILL)
        stage.wait(timeout=30)
        assert _gone(worker, within=3) is guarded  # unguarded, it lives on: what the guard is for
    finally:
        if psutil.pid_exists(worker):
            os.kill(worker, signal.SIGKILL)


def test_a_worker_whose_parent_is_already_gone_exits():
    code = f"from tlbench.processes import die_with_parent; die_with_parent({os.getpid() + 10**6}); print('lived')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stdout) == (1, "")
