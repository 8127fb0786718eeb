"""Motion descriptor throughput on Ped2-sized frames (360 x 240 grayscale): target >= 50 frames/s on 2 cores
(a Python loop over cells ran at 34)."""
import numpy as np

from tlbench.methods.motion import clip_motion


def test_motion_descriptor_frames_per_second(benchmark):
    rng = np.random.default_rng(0)
    background = rng.integers(0, 256, (240, 360), dtype=np.uint8)
    frames = np.stack([np.roll(background, 2 * t, axis=1) for t in range(60)])
    benchmark.pedantic(clip_motion, args=(frames, 24, 8), rounds=3, iterations=1)
    fps = len(frames) / benchmark.stats.stats.median
    benchmark.extra_info["frames_per_second"] = round(fps, 1)
    print(f"motion descriptor: {fps:.0f} frames/s (360x240, 24-pixel cells, 8 bins)")
    assert fps >= 50
