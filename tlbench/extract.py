"""The extraction engine: one forward pass per batch for every layer of a sweep, features
streamed to `.npy` memmaps on disk, written atomically with their preprocessing record."""
from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from .backbones import build_backbone, feature_extractor, resolve_weights
from .datasets import open_rgb
from .errors import TlbenchError
from .io import atomic_dir, library_versions, write_json
from .registry import Backbone, Layer, backbone

RESIZE_MODES = {
    "squash": "resize to size x size ignoring aspect ratio (Keras image.load_img(target_size=...))",
    "shorter_side_crop": "resize the shorter side to size*256/224, then center-crop size x size (torchvision eval)",
}


@dataclass(frozen=True)
class Preprocessing:
    size: int
    resize: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    weights_id: str

    def __post_init__(self):
        if self.resize not in RESIZE_MODES:
            raise TlbenchError(f"extract.resize {self.resize!r} is unknown: use one of {', '.join(RESIZE_MODES)}")

    @classmethod
    def for_backbone(cls, spec: Backbone, resize: str = "squash", size: int | None = None) -> "Preprocessing":
        return cls(size or spec.input_size, resize, spec.mean, spec.std, spec.weights_id)

    def describe(self) -> str:
        how = "squashed to" if self.resize == "squash" else "shorter side resized and center-cropped to"
        return f"RGB {how} {self.size}x{self.size}, bilinear, ImageNet mean/std; weights {self.weights_id}"

    def __call__(self, image) -> torch.Tensor:
        import torchvision.transforms.functional as F

        if self.resize == "squash":
            image = F.resize(image, [self.size, self.size], antialias=True)
        else:
            image = F.center_crop(F.resize(image, round(self.size * 256 / 224), antialias=True), self.size)
        return F.normalize(F.to_tensor(image), self.mean, self.std)


class ImageFiles(Dataset):
    """Decodes and preprocesses images in DataLoader workers. A file that cannot be decoded is
    reported back (not raised in the worker) so that the error names it in one line."""

    def __init__(self, paths: Sequence[Path], preprocess: Preprocessing):
        self.paths = [Path(p) for p in paths]
        self.preprocess = preprocess

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int):
        try:
            return self.preprocess(open_rgb(self.paths[i])), ""
        except TlbenchError as exc:
            return torch.zeros(3, self.preprocess.size, self.preprocess.size), str(exc)


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise TlbenchError(f"extract.device is {device!r} but no CUDA device is visible: set extract.device: auto")
    return torch.device(device)


def resolve_precision(precision: str, device: torch.device) -> str:
    """`auto`: fp32 on CPU (fidelity), bf16 autocast on CUDA."""
    if precision == "auto":
        return "bf16" if device.type == "cuda" else "fp32"
    if precision not in ("fp32", "bf16", "fp16"):
        raise TlbenchError(f"extract.precision {precision!r} is unknown: use auto, fp32, bf16 or fp16")
    if precision == "fp16" and device.type == "cpu":
        raise TlbenchError("extract.precision fp16 is for CUDA: use bf16 or fp32 on the CPU")
    return precision


def autocast(device: torch.device, precision: str):
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device.type, dtype=dtype)


@dataclass
class ExtractionResult:
    out_dir: Path
    n_images: int
    seconds: float

    @property
    def images_per_second(self) -> float:
        return self.n_images / self.seconds if self.seconds else float("nan")


def extract_features(
    paths: Sequence[Path],
    backbone_name: str,
    layers: Sequence[int | str],
    out_dir: str | Path,
    *,
    weights: str | Path | None = "auto",
    allow_download: bool = False,
    resize: str = "squash",
    batch_size: int = 32,
    num_workers: int = 2,
    device: str = "auto",
    precision: str = "auto",
    channels_last: bool = True,
    extra_meta: dict | None = None,
    progress: bool = True,
) -> ExtractionResult:
    """Write `<out_dir>/<node>.npy` (N x D float32) per layer and `<out_dir>/meta.json`."""
    spec = backbone(backbone_name)
    chosen: list[Layer] = list(dict.fromkeys(spec.layer(k) for k in layers))
    if not paths:
        raise TlbenchError("no images to extract features from")
    if weights == "auto":
        resolve_weights(spec, None, allow_download)  # fail before any work if they are missing
    dev = resolve_device(device)
    prec = resolve_precision(precision, dev)
    preprocess = Preprocessing.for_backbone(spec, resize)
    if weights is None:
        preprocess = Preprocessing(preprocess.size, resize, spec.mean, spec.std, "random init (no weights)")

    model = build_backbone(backbone_name, weights, allow_download)
    extractor = feature_extractor(model, spec, chosen).to(dev)
    if channels_last:
        extractor = extractor.to(memory_format=torch.channels_last)

    loader = DataLoader(
        ImageFiles(paths, preprocess), batch_size=batch_size, shuffle=False, num_workers=num_workers,
        pin_memory=dev.type == "cuda", persistent_workers=False,
    )
    n = len(paths)
    with atomic_dir(out_dir) as tmp:
        arrays = {
            layer.node: np.lib.format.open_memmap(tmp / f"{layer.node}.npy", mode="w+", dtype=np.float32,
                                                  shape=(n, layer.n_features))
            for layer in chosen
        }
        start, seen = time.perf_counter(), 0
        bar = tqdm(total=n, desc=f"extract {backbone_name}", unit="img", disable=not progress or None,
                   mininterval=1.0)
        with torch.inference_mode(), autocast(dev, prec):
            for images, errors in loader:
                bad = [e for e in errors if e]
                if bad:
                    raise TlbenchError(bad[0])
                images = images.to(dev, non_blocking=True)
                if channels_last:
                    images = images.contiguous(memory_format=torch.channels_last)
                outputs = extractor(images)
                k = images.shape[0]
                for layer in chosen:
                    # (N, C, H, W) flattened in C-major order, like torch.flatten
                    arrays[layer.node][seen:seen + k] = outputs[layer.node].float().reshape(k, -1).cpu().numpy()
                seen += k
                bar.update(k)
        bar.close()
        seconds = time.perf_counter() - start
        for arr in arrays.values():
            arr.flush()
        del arrays
        write_json(tmp / "meta.json", {
            "backbone": backbone_name,
            "weights_id": preprocess.weights_id,
            "preprocessing": asdict(preprocess),
            "preprocessing_text": preprocess.describe(),
            "device": dev.type,
            "precision": prec,
            "channels_last": channels_last,
            "layers": [{"index": l.index, "node": l.node, "keras_name": l.keras_name,
                        "shape": list(l.shape), "n_features": l.n_features, "file": f"{l.node}.npy"} for l in chosen],
            "n_images": n,
            "versions": library_versions(),
            **(extra_meta or {}),
        })
    return ExtractionResult(Path(out_dir), n, seconds)


def load_features(feature_dir: str | Path, layer: Layer | str, mmap: bool = True) -> np.ndarray:
    node = layer.node if isinstance(layer, Layer) else layer
    path = Path(feature_dir) / f"{node}.npy"
    if not path.is_file():
        raise TlbenchError(f"{path} not found: run the extract stage (`dvc repro`) for this backbone and layer")
    return np.load(path, mmap_mode="r" if mmap else None)


def load_meta(feature_dir: str | Path) -> dict:
    path = Path(feature_dir) / "meta.json"
    if not path.is_file():
        raise TlbenchError(f"{path} not found: run the extract stage (`dvc repro`)")
    return json.loads(path.read_text())
