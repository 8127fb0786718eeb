"""Extraction throughput per backbone (images/s), beside the matmul GFLOP/s of the same session.

Run with `make bench`; the numbers go into pytest-benchmark's extra_info."""
import numpy as np
import pytest
import torch

from tlbench.methods.protocols import cross_validate, cv_splits
from tlbench.models.backbones import build_backbone, feature_extractor
from tlbench.models.device import autocast
from tlbench.models.specs import backbone

# multiply-adds per 224x224 image, x2 for FLOPs
GFLOP_PER_IMAGE = {"resnet50": 2 * 4.09, "efficientnet_lite0": 2 * 0.40, "vgg19": 2 * 19.6}
BATCH = 32


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
@pytest.mark.parametrize("name", ["resnet50", "efficientnet_lite0"])
def test_sweep_forward_throughput(benchmark, matmul_gflops, name, precision):
    spec = backbone(name)
    weights = "auto" if spec.family == "timm" else None  # random weights time the same
    net = feature_extractor(build_backbone(name, weights=weights), spec, list(spec.layers))
    net = net.to(memory_format=torch.channels_last)
    x = torch.randn(BATCH, 3, 224, 224).contiguous(memory_format=torch.channels_last)

    def forward():
        with torch.inference_mode(), autocast(torch.device("cpu"), precision):
            return net(x)

    forward()
    benchmark.pedantic(forward, rounds=3, iterations=1)
    images_per_s = BATCH / benchmark.stats.stats.median
    benchmark.extra_info.update(
        images_per_second=round(images_per_s, 2), matmul_gflops=round(matmul_gflops, 1),
        roofline_ratio=round(images_per_s * GFLOP_PER_IMAGE[name] / matmul_gflops, 3),
        threads=torch.get_num_threads())


def test_linear_svm_20fold_cv(benchmark):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 62720)).astype(np.float32)
    y = np.repeat([0, 1, 2], [80, 80, 40])
    splits = cv_splits("paper", y, 20, seed=0)
    benchmark.pedantic(cross_validate, args=(X, y, splits, 1.0, True), rounds=1, iterations=1)
