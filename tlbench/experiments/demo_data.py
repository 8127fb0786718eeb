"""Stage demo_data: every synthetic twin of the demo profile, in the official layouts, written
atomically as one folder (data/demo/<dataset folder>); a profile with real data gets a note only."""
from __future__ import annotations

import time
from pathlib import Path

from .. import paths
from ..data.registry import DATASETS
from ..io import atomic_dir
from ..params import Params
from .stage import main


def twin_writers(params: Params, tmp: Path) -> dict:
    from ..data.demo import produce, video
    from ..data.demo.ph2 import write_ph2

    d, seed = params.model.demo_data, params.seed

    def at(key: str) -> Path:
        return tmp / DATASETS[key].folder

    return {
        "ph2": lambda: write_ph2(at("ph2"), seed, dict(enumerate(d.ph2.counts)), d.ph2.size, d.ph2.size_jitter),
        "fruits360": lambda: produce.write_fruits360(at("fruits360"), seed, **d.fruits360),
        "supermarket": lambda: produce.write_supermarket(at("supermarket"), seed, d.supermarket.per_class,
                                                         d.supermarket.size),
        "ucsd": lambda: video.write_ucsd(at("ucsd"), seed, **d.ucsd),
        "york": lambda: video.write_york(at("york"), seed, d.york.n_frames,
                                         {k: [tuple(r) for r in v] for k, v in d.york.anomalies.items()}, d.york.size),
        "cifar10": lambda: produce.write_cifar10(at("cifar10"), seed, **d.cifar10),
    }


def run(params: Params, progress: bool = True) -> str:
    seconds = {}
    with atomic_dir(params.resolve_path(paths.DEMO)) as tmp:
        if not params.settings.synthetic:
            (tmp / "README.txt").write_text(f"profile {params.profile} reads real data: no synthetic data generated\n")
            return ""
        for key, write in twin_writers(params, tmp).items():
            start = time.perf_counter()
            write()
            seconds[key] = time.perf_counter() - start
            print(f"demo {key}: {seconds[key]:.1f} s")
    return ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())


if __name__ == "__main__":
    raise SystemExit(main(run))
