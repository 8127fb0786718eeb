"""The extraction engine: one forward pass per batch for every layer of a sweep, features
streamed to `.npy` memmaps on disk, written atomically with their preprocessing record."""
from __future__ import annotations

import contextlib
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
from .io import atomic_dir, library_versions, load_features, load_meta, write_json  # noqa: F401 (re-exported)
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


class PathSource:
    """Images stored one per file."""

    def __init__(self, paths: Sequence[Path]):
        self.paths = [Path(p) for p in paths]

    def __len__(self) -> int:
        return len(self.paths)

    def image(self, i: int):
        return open_rgb(self.paths[i])


class VideoFrames:
    """Frames `indices` of a video, decoded sequentially (seeking only when indices jump)."""

    def __init__(self, video: str | Path, indices: Sequence[int]):
        self.video, self.indices = Path(video), [int(i) for i in indices]
        self._cap, self._next = None, None

    def __len__(self) -> int:
        return len(self.indices)

    def __getstate__(self):  # a DataLoader worker opens its own capture
        return {**self.__dict__, "_cap": None, "_next": None}

    def image(self, i: int):
        import cv2
        from PIL import Image

        index = self.indices[i]
        if self._cap is None:
            self._cap, self._next = cv2.VideoCapture(str(self.video)), 0
        if index != self._next:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = self._cap.read()
        if not ok:
            raise TlbenchError(f"{self.video}: frame {index} cannot be decoded: the video is truncated or corrupt; "
                               f"download it again")
        self._next = index + 1
        return Image.fromarray(np.ascontiguousarray(frame[:, :, ::-1]))


class ImageDataset(Dataset):
    """Decodes and preprocesses images in DataLoader workers. A file that cannot be decoded is
    reported back (not raised in the worker) so that the error names it in one line."""

    def __init__(self, source, preprocess: Preprocessing):
        self.source = source
        self.preprocess = preprocess

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, i: int):
        try:
            return self.preprocess(self.source.image(i)), ""
        except TlbenchError as exc:
            return torch.zeros(3, self.preprocess.size, self.preprocess.size), str(exc)


POOLING = ("avg", "max", "pyramid", "gridN")


def pool(t: torch.Tensor, mode: str | None) -> torch.Tensor:
    """Reduce an (N, C, H, W) map before it is stored: global average or max, a spatial pyramid
    (1x1 + 2x2 average cells, 5C values) or a patch grid `gridN` (N x N average cells, C N^2 values,
    cell-major). Vectors and `None` pass through."""
    if mode is None or t.ndim != 4:
        return t
    if mode == "avg":
        return t.mean(dim=(2, 3))
    if mode == "max":
        return t.amax(dim=(2, 3))
    if mode == "pyramid":
        import torch.nn.functional as F

        return torch.cat([F.adaptive_avg_pool2d(t, 1).flatten(1), F.adaptive_avg_pool2d(t, 2).flatten(1)], dim=1)
    if mode.startswith("grid") and mode[4:].isdigit() and int(mode[4:]) > 0:
        import torch.nn.functional as F

        return F.adaptive_avg_pool2d(t, int(mode[4:])).flatten(1)
    raise TlbenchError(f"pooling {mode!r} is unknown: use one of {', '.join(POOLING)}")


def engine_options(cfg: dict, backbone_name: str) -> dict:
    """extract_features keyword arguments from params.yaml's `extract` section."""
    return {"weights": (cfg.get("weights") or {}).get(backbone_name, "auto"),
            "allow_download": bool(cfg["allow_download"]), "resize": cfg["resize"],
            "batch_size": int(cfg["batch_size"]), "num_workers": int(cfg["num_workers"]),
            "device": str(cfg["device"]), "precision": str(cfg["precision"]),
            "channels_last": bool(cfg["channels_last"])}


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
    images: Sequence[Path] | PathSource | VideoFrames,
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
    pooling: dict[str, str] | None = None,
    model: torch.nn.Module | None = None,
    weights_id: str | None = None,
) -> ExtractionResult:
    """Write `<out_dir>/<node>.npy` (N x D float32) per layer and `<out_dir>/meta.json`.
    `images`: image file paths, or a source with `__len__` and `image(i)` (e.g. VideoFrames).
    `pooling`: {node: avg | max | pyramid} reduces those maps before they are stored.
    `model`: an already built (e.g. fine-tuned) network of this backbone's architecture, described
    by `weights_id`; otherwise the registry's weights are loaded."""
    pooling = pooling or {}
    source = images if hasattr(images, "image") else PathSource(images)
    spec = backbone(backbone_name)
    chosen: list[Layer] = list(dict.fromkeys(spec.layer(k) for k in layers))
    if not len(source):
        raise TlbenchError("no images to extract features from")
    if weights == "auto" and model is None:
        resolve_weights(spec, None, allow_download)  # fail before any work if they are missing
    dev = resolve_device(device)
    prec = resolve_precision(precision, dev)
    preprocess = Preprocessing.for_backbone(spec, resize)
    if weights is None or model is not None:
        preprocess = Preprocessing(preprocess.size, resize, spec.mean, spec.std, weights_id or "random init (no weights)")
    if model is None:
        model = build_backbone(backbone_name, weights, allow_download)
    extractor = feature_extractor(model, spec, chosen).to(dev)
    if channels_last:
        extractor = extractor.to(memory_format=torch.channels_last)

    loader = DataLoader(
        ImageDataset(source, preprocess), batch_size=batch_size, shuffle=False, num_workers=num_workers,
        pin_memory=dev.type == "cuda", persistent_workers=False,
    )
    n = len(source)
    with torch.inference_mode():  # one dummy image gives every stored width, pooled or not
        probe = extractor(torch.zeros(1, 3, preprocess.size, preprocess.size, device=dev))
    width = {l.node: pool(probe[l.node].float(), pooling.get(l.node)).reshape(1, -1).shape[1] for l in chosen}
    with atomic_dir(out_dir) as tmp:
        arrays = {
            layer.node: np.lib.format.open_memmap(tmp / f"{layer.node}.npy", mode="w+", dtype=np.float32,
                                                  shape=(n, width[layer.node]))
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
                    out = pool(outputs[layer.node].float(), pooling.get(layer.node))
                    arrays[layer.node][seen:seen + k] = out.reshape(k, -1).cpu().numpy()
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
            "layers": [{"index": l.index, "node": l.node, "keras_name": l.keras_name, "shape": list(l.shape),
                        "pooling": pooling.get(l.node), "n_features": width[l.node], "file": f"{l.node}.npy"}
                       for l in chosen],
            "n_images": n,
            "versions": library_versions(),
            **(extra_meta or {}),
        })
    return ExtractionResult(Path(out_dir), n, seconds)
