"""Estimated CPU time of the paper profile's stages on this machine, from rates measured here on real
images (the PH2 BMPs and UCSD Ped2 TIFF frames in ../shared/samples) with the paper's backbones
(random weights: the same arithmetic as the ImageNet ones, which are not on this machine).

    python benchmarks/paper_profile_times.py [--out reports/paper_profile_times.json]

Each rate is images (or frames) per second of `extract_features` end to end; a stage's time is its
image count over that rate. Fine-tuning ResNet50 is timed as forward + backward + SGD step per batch."""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


def extraction_rate(paths: list[Path], backbone: str, layers: list[int], repeat: int) -> float:
    from tlbench.models.extract import extract_features

    images = [p for p in paths for _ in range(repeat)]
    with tempfile.TemporaryDirectory() as tmp:
        extract_features(images[:8], backbone, layers, Path(tmp) / "warm", progress=False, weights=None, batch_size=8)
        t0 = time.perf_counter()
        extract_features(images, backbone, layers, Path(tmp) / "out", progress=False, weights=None, batch_size=16)
        return len(images) / (time.perf_counter() - t0)


def training_rate(batch: int = 16, steps: int = 3) -> float:
    from torchvision.models import resnet50

    model = resnet50(num_classes=81).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(batch, 3, 224, 224), torch.randint(0, 81, (batch,))
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return batch * steps / (time.perf_counter() - t0)


def main() -> dict:
    ph2 = sorted((SAMPLES / "PH2Dataset").rglob("*_Dermoscopic_Image/*.bmp"))
    ped2 = sorted((SAMPLES / "UCSD_Anomaly_Dataset.v1p2").rglob("*.tif"))
    rates = {
        "ph2_extract vgg19 (layers -2..-7)": extraction_rate(ph2, "vgg19", [-2, -3, -4, -5, -6, -7], 4),
        "ph2_extract resnet50 (layers -2..-7)": extraction_rate(ph2, "resnet50", [-2, -3, -4, -5, -6, -7], 4),
        "anomaly_extract resnet50 (Ped2 frames, layer -2)": extraction_rate(ped2, "resnet50", [-2], 3),
        "fusion_finetune resnet50 (train, all layers)": training_rate(),
    }
    r = rates
    stages = {
        "ph2_extract (200 images, VGG-19 + ResNet50)": 200 / r["ph2_extract vgg19 (layers -2..-7)"]
        + 200 / r["ph2_extract resnet50 (layers -2..-7)"],
        # York Belleview's frame count depends on its video and is left out
        "anomaly_extract (Ped1 14,000 + Ped2 4,560 + York Train 4,961 frames)": (14000 + 4560 + 4961)
        / r["anomaly_extract resnet50 (Ped2 frames, layer -2)"],
        "fusion_finetune (Fruits-360 2018.09: 41,322 images x 10 epochs)": 41322
        * 10
        / r["fusion_finetune resnet50 (train, all layers)"],
        "fusion_extract (Supermarket Produce, 2,633 images)": 2633 / r["ph2_extract resnet50 (layers -2..-7)"],
        "recipes_evaluate extraction (CIFAR-10 5 %: 3,000 images)": 3000
        / r["anomaly_extract resnet50 (Ped2 frames, layer -2)"],
    }
    return {"torch_threads": torch.get_num_threads(), "rates_per_second": {k: round(v, 2) for k, v in rates.items()},
            "estimated_seconds": {k: round(v) for k, v in stages.items()}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    ns = parser.parse_args()
    result = main()
    print(json.dumps(result, indent=2))
    if ns.out:
        Path(ns.out).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
