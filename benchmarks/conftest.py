import time

import pytest
import torch


@pytest.fixture(scope="session")
def matmul_gflops() -> float:
    """fp32 matmul throughput of this machine in this session: the roofline the CNN numbers are compared to."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * 2048**3 / best / 1e9
