"""Extraction through the Ray backend (local mode, every core) against the local engine, on the same
200 PH2-sized BMPs in one run: what Ray's scheduling costs on one machine, where it buys nothing;
its point is a cluster. Reports the ratio; checks the features are byte-identical. Measured here (2 cores,
one run each): 200 images 0.69-0.74x, 800 images 0.83x with one decoding thread per actor (0.78x before
it decoded ahead); with the local engine's loader in each actor (4 batches ahead, nice 19) and the actors
started before the stage builds its network: 200 images 0.80x, 800 images 0.94x (2026-12-03, 2-core AVX2)."""
import statistics
import time

import numpy as np
import pytest

from benchmarks.test_speed_ratios import BATCH, N_IMAGES, SWEEP, WORKERS, _write_images
from tlbench.models.extract import extract_features
from tlbench.params import RayParams

ray = pytest.importorskip("ray")


@pytest.mark.parametrize("n_images", [N_IMAGES["ph2_bmp"], 800])  # 800: actor start-up no longer dominates
def test_ray_backend_throughput_on_one_machine(benchmark, tmp_path, n_images):
    paths = _write_images(tmp_path / "images", "ph2_bmp", n_images)
    rates = {"local": [], "ray": []}
    ray.init(include_dashboard=False, log_to_driver=False)
    try:
        def one_round():
            for backend in rates:
                start = time.perf_counter()
                extract_features(paths, "efficientnet_lite0", SWEEP, tmp_path / backend, progress=False,
                                 batch_size=BATCH, num_workers=WORKERS, backend=backend, ray=RayParams())
                rates[backend].append(len(paths) / (time.perf_counter() - start))

        benchmark.pedantic(one_round, rounds=2, iterations=1)
    finally:
        ray.shutdown()
    ratio = statistics.median(rates["ray"]) / statistics.median(rates["local"])
    benchmark.extra_info.update(local_images_per_s=round(statistics.median(rates["local"]), 1),
                                ray_images_per_s=round(statistics.median(rates["ray"]), 1), ratio=round(ratio, 2))
    print(f"Lite0, 6 layers, {len(paths)} BMPs: local {statistics.median(rates['local']):.1f} images/s, "
          f"Ray {statistics.median(rates['ray']):.1f} images/s ({ratio:.2f}x)")
    for node in ("blocks.6", "global_pool.flatten"):
        assert np.array_equal(np.load(tmp_path / "local" / f"{node}.npy"), np.load(tmp_path / "ray" / f"{node}.npy"))
