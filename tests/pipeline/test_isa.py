"""`make repro ISA=avx2`: the variables it sets are the names and values each library reads, so torch, oneDNN,
OpenBLAS, numpy and OpenCV run their AVX2 kernels (on an AVX-512 machine that is what writes the committed,
AVX2-made bytes; docs/reliability.md). Each check can fail: a misspelt variable leaves AVX-512 on where the CPU
has it, and OpenCV names an unknown feature on stderr."""
import os
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

PROBE = """
import cv2, numpy, threadpoolctl, torch
from numpy._core._multiarray_umath import __cpu_features__
x = torch.randn(2, 32, 56, 56).to(memory_format=torch.channels_last)
torch.nn.functional.conv2d(x, torch.randn(64, 32, 3, 3).to(memory_format=torch.channels_last))
print("torch", torch.backends.cpu.get_cpu_capability())
blas = threadpoolctl.threadpool_info()
print("openblas", sorted({i.get("architecture") for i in blas if i["internal_api"] == "openblas"}))
print("numpy_x86_v4", __cpu_features__.get("X86_V4", False))
print("opencv", cv2.getCPUFeaturesLine())
"""


def avx2_environment() -> dict[str, str]:
    """The assignments before `dvc repro` in the recipe `make -n repro ISA=avx2` prints."""
    recipe = subprocess.run(["make", "-n", "-o", ".venv/.tlbench-installed", "repro", "ISA=avx2"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout
    line = next(l for l in recipe.splitlines() if "dvc repro" in l)
    words = shlex.split(line)
    assignments = words[:next(i for i, w in enumerate(words) if "=" not in w)]
    return dict(w.split("=", 1) for w in assignments if not w.startswith("PATH="))


@pytest.mark.skipif(shutil.which("make") is None, reason="reads the Makefile's recipe")
def test_make_repro_isa_avx2_runs_every_library_on_its_avx2_kernels():
    env = avx2_environment()
    assert {"ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES",
            "OPENCV_CPU_DISABLE"} <= set(env)

    done = subprocess.run([sys.executable, "-c", PROBE], env=os.environ | env | {"ONEDNN_VERBOSE": "1"},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = dict(line.split(" ", 1) for line in done.stdout.splitlines() if line.split(" ", 1)[0] in
               {"torch", "openblas", "numpy_x86_v4", "opencv"})
    assert out["torch"] == "AVX2"
    assert out["openblas"] == "['Haswell']"
    assert out["numpy_x86_v4"] == "False"
    assert "isa:Intel AVX2" in done.stdout + done.stderr  # oneDNN's verbose line names the ISA it runs
    assert not [f for f in out["opencv"].split() if f.startswith("*AVX512") and not f.endswith("?")]
    assert "unknown CPU feature" not in done.stderr
    with pytest.raises(subprocess.CalledProcessError):
        subprocess.run(["make", "-n", "-o", ".venv/.tlbench-installed", "repro", "ISA=avx3"], cwd=REPO,
                       capture_output=True, check=True)
