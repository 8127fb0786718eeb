"""The stages' allocator settings: freed blocks of up to 32 MB are reused, not faulted in again."""
import os
import subprocess
import sys

import pytest

REUSE = """
import resource, sys
import numpy as np
from tlbench.memory import keep_freed_memory

print(keep_freed_memory())
pages = 0
for _ in range(10):  # a batch's activations, alive together, then freed: over and over
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = [np.ones(size, dtype=np.uint8) for size in (2 << 20, 16 << 20, 16 << 20, 8 << 20, 24 << 20)]
    del blocks
    pages += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(pages)
"""


def _faults(env: dict) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", REUSE], capture_output=True, text=True, check=True,
                         env=os.environ | env).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_blocks_are_reused_instead_of_faulted_in_again():
    """Ten rounds of five blocks of 2-24 MB alive together, then freed: glibc's defaults give the freed top
    of the heap back (it exceeds twice the largest block) and fault it in again, a zero-filled 4 kB page at a
    time, every round; with the stages' settings the heap keeps it, so only the first round faults."""
    applied, tuned = _faults({})
    assert applied == "True"
    applied, system = _faults({"TLBENCH_MALLOC": "system"})
    assert applied == "False"
    assert system > 4 * tuned  # ~7x here: the defaults fault every round in, the settings the first only

@pytest.mark.parametrize("entry", ["python -m", "tlbench <stage>"])
def test_every_stage_sets_the_allocator_before_it_starts(monkeypatch, entry):
    import tlbench.memory
    from tlbench.cli import main as cli
    from tlbench.experiments.ph2 import evaluate
    from tlbench.experiments.stage import main

    calls = []
    monkeypatch.setattr(tlbench.memory, "keep_freed_memory", lambda: calls.append("set") or True)
    monkeypatch.setattr(evaluate, "run", lambda params, progress=True: calls.append("ran"))
    missing = "/nonexistent/params.yaml"  # the settings come before the params, which fail to load here
    if entry == "python -m":
        assert main(evaluate.run, ["--params", missing]) == 2
    else:
        assert cli(["--params", missing, "ph2-evaluate"]) == 2
    assert calls == ["set"]
