"""Stage demo_data: every synthetic twin of the demo profile, in the official layouts, written
atomically as one folder (data/demo/<dataset folder>); a profile with real data gets a note only."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from .. import paths
from ..data.registry import DATASETS
from ..io import atomic_dir
from ..params import Params
from ..processes import worker_init
from .stage import main

SLOWEST_FIRST = ["ph2", "supermarket", "york", "ucsd", "fruits360", "cifar10"]
PH2_PARTS = 4  # the PH2 twin was half the stage's work, on one core: its images are written in parts


def twin_writers(params: Params, tmp: Path) -> dict:
    from ..data.demo import produce, video
    from ..data.demo.ph2 import ph2_cases, write_ph2_images

    d, seed = params.model.demo_data, params.seed
    cases = ph2_cases(seed, dict(enumerate(d.ph2.counts)))

    def at(key: str) -> Path:
        return tmp / DATASETS[key].folder

    return {
        **{f"ph2/{k}": lambda part=part: write_ph2_images(at("ph2"), seed, cases, part, d.ph2.size, d.ph2.size_jitter)
           for k, part in enumerate(np.array_split(np.arange(len(cases)), PH2_PARTS))},
        "fruits360": lambda: produce.write_fruits360(at("fruits360"), seed, **d.fruits360),
        **{f"supermarket/{kind}": lambda kind=kind: produce.write_supermarket(
            at("supermarket"), seed, d.supermarket.per_class, d.supermarket.size, kinds=[kind])
           for kind in produce.FRUIT_KINDS},
        "ucsd": lambda: video.write_ucsd(at("ucsd"), seed, **d.ucsd),
        "york": lambda: video.write_york(at("york"), seed, d.york.n_frames,
                                         {k: [tuple(r) for r in v] for k, v in d.york.anomalies.items()}, d.york.size),
        "cifar10": lambda: produce.write_cifar10(at("cifar10"), seed, **d.cifar10),
    }


def write_twin(params: Params, tmp: Path, key: str) -> tuple[float, object]:
    """(seconds, what the writer returned) for one twin or part of one."""
    start = time.perf_counter()
    result = twin_writers(params, tmp)[key]()
    return time.perf_counter() - start, result


def run(params: Params, progress: bool = True) -> str:
    """Every twin (every supermarket class, every part of PH2) is seeded on its own, so they are written in parallel,
    one process per core, the slowest first, and come out byte-identical to a sequential run."""
    from concurrent.futures import ProcessPoolExecutor

    from ..data.demo.ph2 import write_ph2_table

    with atomic_dir(params.resolve_path(paths.DEMO)) as tmp:
        if not params.settings.synthetic:
            (tmp / "README.txt").write_text(f"profile {params.profile} reads real data: no synthetic data generated\n")
            return ""
        keys = sorted(twin_writers(params, tmp), key=lambda k: SLOWEST_FIRST.index(k.split("/")[0]))
        with ProcessPoolExecutor(min(len(keys), os.cpu_count() or 1), initializer=worker_init()) as pool:
            done = dict(zip(keys, pool.map(write_twin, [params] * len(keys), [tmp] * len(keys), keys)))
        write_ph2_table(tmp / DATASETS["ph2"].folder, [row for key in keys if key.startswith("ph2/")
                                                       for row in done[key][1]])
    seconds: dict[str, float] = {}
    for key, (took, _) in done.items():
        seconds[key.split("/")[0]] = seconds.get(key.split("/")[0], 0.0) + took
    print("demo data (seconds of work per dataset, in parallel):", seconds)
    return ", ".join(f"{k} {seconds[k]:.1f} s" for k in SLOWEST_FIRST if k in seconds)


if __name__ == "__main__":
    raise SystemExit(main(run))
