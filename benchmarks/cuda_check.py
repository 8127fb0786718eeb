"""The CUDA path, checked on a GPU machine (CI has none): `python benchmarks/cuda_check.py [OUT.json]`.

On a small synthetic PH2 twin: EfficientNet-Lite0 features extracted on the CPU (fp32) and on CUDA
in fp32 (TF32 off, as tlbench sets it), in fp32 with TF32 forced on (what PyTorch's cuDNN default
would give), and in bf16 autocast; the largest difference from the CPU features, relative to their
scale; then one epoch of fine-tuning on CUDA in fp32 and bf16. Prints and writes a JSON summary."""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from tlbench.data.demo.ph2 import write_ph2
from tlbench.data.demo.produce import write_fruits360
from tlbench.data.fruits360 import Fruits360
from tlbench.data.ph2 import PH2
from tlbench.io import load_features, load_meta
from tlbench.models.extract import extract_features

LAYERS = ["global_pool.flatten", "blocks.6"]


def extract(paths, out: Path, device: str, precision: str, tf32: bool | None = None) -> dict:
    import tlbench.models.extract as engine

    start, configure = time.perf_counter(), engine.configure_precision
    if tf32 is not None:  # force TF32 after the engine turned it off: patch the engine's switch
        engine.configure_precision = lambda dev, prec: (setattr(torch.backends.cudnn, "allow_tf32", tf32),
                                                        setattr(torch.backends.cuda.matmul, "allow_tf32", tf32))
    try:
        extract_features(paths, "efficientnet_lite0", LAYERS, out, device=device, precision=precision, batch_size=16,
                         num_workers=2, progress=False)
    finally:
        engine.configure_precision = configure
    meta = load_meta(out)
    return {"seconds": round(time.perf_counter() - start, 2), "precision": meta["precision"], "device": meta["device"],
            "tf32_matmul": torch.backends.cuda.matmul.allow_tf32, "tf32_cudnn": torch.backends.cudnn.allow_tf32}


def rel_diff(a: Path, b: Path, node: str) -> float:
    x, y = np.asarray(load_features(a, node)), np.asarray(load_features(b, node))
    return float(np.abs(x - y).max() / np.abs(y).max())


def finetune_epoch(root: Path, precision: str) -> dict:
    from tlbench.models.finetune import finetune

    ds = Fruits360.load(root / "fruits-360")
    cfg = {"backbone": "efficientnet_lite0", "train": "all", "optimizer": "sgd", "lr": 0.01, "momentum": 0.9,
           "weight_decay": 0.0, "schedule": "cosine", "batch_size": 16, "augment": True, "num_workers": 2, "epochs": 1,
           "seed": 0, "source_name": "Fruits-360 twin", "device": "cuda", "precision": precision}
    history, _ = finetune(ds.train.samples, ds.test.samples, ds.train.classes, cfg, root / f"ft_{precision}.pt",
                       root / f"work_{precision}.pt", progress=False)
    state = torch.load(root / f"ft_{precision}.pt", map_location="cpu", weights_only=False)
    return {"history": history, "recorded_precision": state["precision"]}


def main(out_file: str | None) -> dict:
    root = Path(tempfile.mkdtemp())
    paths = PH2.load(
        write_ph2(root / "PH2Dataset", 0, {0: 16, 1: 16, 2: 16}, (192, 144), 2), expect_full=False
    ).image_paths
    report = {"gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, "torch": torch.__version__}
    report["cpu_fp32"] = extract(paths, root / "cpu", "cpu", "fp32")
    if torch.cuda.is_available():
        for name, precision, tf32 in (("cuda_fp32", "fp32", None), ("cuda_fp32_tf32_on", "fp32", True),
                                      ("cuda_bf16", "bf16", None)):
            report[name] = extract(paths, root / name, "cuda", precision, tf32)
            report[name]["max_rel_diff_vs_cpu"] = {n: rel_diff(root / name, root / "cpu", n) for n in LAYERS}
        write_fruits360(root / "fruits-360", 0, 20, 5)
        report["finetune"] = {p: finetune_epoch(root, p) for p in ("fp32", "bf16")}
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if out_file:
        Path(out_file).write_text(text)
    return report


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
