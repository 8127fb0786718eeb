"""The extraction engine: one forward pass per batch for every layer of a sweep, features
streamed to `.npy` memmaps on disk, written atomically with their preprocessing record."""
from __future__ import annotations

import functools
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from ..data.sources import PathSource
from ..errors import TlbenchError
from ..io import atomic_dir, library_versions, load_meta, write_json
from ..processes import worker_init
from .backbones import build_backbone, feature_extractor, resolve_weights
from .device import autocast, configure_precision, resolve_device, resolve_precision
from .preprocessing import Preprocessing
from .specs import Layer, backbone


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


def background_worker() -> functools.partial:
    """DataLoader workers decode at the lowest CPU priority. With as many torch threads as cores, a
    worker at normal priority preempts one thread of the forward pass, and a parallel kernel runs as
    slowly as its slowest thread; at nice 19 decoding fills the gaps between kernels instead (on 2
    cores, with PREFETCH_BATCHES: 80-84 % -> 96 % of the bare forward rate for Lite0 on PH2-sized BMPs).
    They also die with the stage (`processes`)."""
    return worker_init(background=True)


# test-time augmentation views of an (N, C, H, W) batch; each is its own inverse
TTA_VIEWS = {
    "hflip": lambda t: t.flip(-1),
    "vflip": lambda t: t.flip(-2),
    "transpose": lambda t: t.transpose(-1, -2),
}

# batches a worker may decode ahead: a low-priority worker decodes in bursts, whenever the forward
# pass leaves a core idle, and needs room to run ahead (2, torch's default, gave 83 %, 4 gave 96 %)
PREFETCH_BATCHES = 4

POOLING = ("avg", "max", "pyramid", "gridN")


def check_tta(views) -> None:
    unknown = [v for v in views if v not in TTA_VIEWS]
    if unknown:
        raise TlbenchError(f"extract.tta {unknown[0]!r} is unknown: use any of {', '.join(TTA_VIEWS)}")


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


@dataclass(frozen=True)
class EngineOptions:
    """How the engine runs (params.yaml's `extract` section); none of it changes which layers come out."""
    weights: str | Path | None = "auto"  # "auto" (the registry's), a file, or None (random init)
    allow_download: bool = False
    resize: str = "squash"
    batch_size: int = 32
    num_workers: int = 2
    device: str = "auto"
    precision: str = "auto"
    channels_last: bool = True
    tta: tuple[str, ...] = ()  # test-time augmentation: features averaged over the image and these views
    backend: str = "local"  # local | ray: batches on Ray actors (tlbench/scale.py), byte-identical features
    ray: Any = None  # the `ray` params section, for backend ray

    @classmethod
    def from_params(cls, params, backbone_name: str, **overrides) -> EngineOptions:
        """From the typed `extract` (and `ray`) params sections, with the backbone's explicit weights file if any."""
        extract = params.model.extract
        values = {k: getattr(extract, k) for k in ("allow_download", "resize", "batch_size", "num_workers", "device",
                                                  "precision", "channels_last", "backend")}
        values["tta"] = tuple(extract.tta)
        return cls(**({"weights": extract.weights.get(backbone_name, "auto"), "ray": params.model.ray} | values
                      | overrides))


@dataclass
class ExtractionResult:
    out_dir: Path
    n_images: int
    seconds: float  # from asking the loader for the first batch to the last features written
    first_batch_unix: float = float("nan")  # wall clock when the first batch reached the model (start-up ends)

    @property
    def images_per_second(self) -> float:
        return self.n_images / self.seconds if self.seconds else float("nan")


@dataclass(frozen=True)
class EngineFacts:
    """What meta.json records of the engine that ran (on a Ray backend: the actor's, which may hold a GPU)."""
    preprocess: Preprocessing
    device: str
    precision: str
    channels_last: bool
    tta: tuple[str, ...]


@dataclass
class Engine:
    """A feature extractor on its device, with the preprocessing its images need."""
    extractor: torch.nn.Module
    preprocess: Preprocessing
    device: torch.device
    precision: str
    channels_last: bool
    tta: tuple[str, ...] = ()

    @staticmethod
    def preprocessing(spec, opts: EngineOptions, model=None, weights_id=None) -> Preprocessing:
        preprocess = Preprocessing.for_backbone(spec, opts.resize)
        if opts.weights is None or model is not None:
            preprocess = Preprocessing(preprocess.size, opts.resize, spec.mean, spec.std,
                                       weights_id or "random init (no weights)")
        return preprocess

    @classmethod
    def build(cls, spec, layers: list[Layer], opts: EngineOptions, model=None, weights_id=None) -> Engine:
        check_tta(opts.tta)
        if opts.weights == "auto" and model is None:
            resolve_weights(spec, None, opts.allow_download)  # fail before any work if they are missing
        dev = resolve_device(opts.device)
        preprocess = cls.preprocessing(spec, opts, model, weights_id)
        if model is None:
            model = build_backbone(spec.name, opts.weights, opts.allow_download)
        extractor = feature_extractor(model, spec, layers).to(dev)
        if opts.channels_last:
            extractor = extractor.to(memory_format=torch.channels_last)
        precision = resolve_precision(opts.precision, dev)
        configure_precision(dev, precision)
        return cls(extractor, preprocess, dev, precision, opts.channels_last, tuple(opts.tta))

    def facts(self) -> EngineFacts:
        return EngineFacts(self.preprocess, self.device.type, self.precision, self.channels_last, self.tta)

    def __call__(self, images: torch.Tensor, layers: list[Layer], pooling: dict,
                 own_view: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """{node: (N, D) features} of a batch. `own_view`: with `tta`, the batch's stored features without TTA,
        which then stand for the image's own forward pass (the same bits; `UnaugmentedFeatures`)."""
        images = images.to(self.device, non_blocking=True)
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode(), autocast(self.device, self.precision):
            if self.tta:
                outputs = self._averaged_over_views(images, layers, own_view)
            else:
                outputs = self.extractor(images)
        # (N, C, H, W) flattened in C-major order, like torch.flatten
        return {l.node: pool(outputs[l.node].float(), pooling.get(l.node)).reshape(len(images), -1).cpu().numpy()
                for l in layers}

    def _averaged_over_views(self, images: torch.Tensor, layers: list[Layer], own_view: dict | None) -> dict:
        """Each layer's output averaged over the image and its `tta` views; a view's feature maps are
        turned back (flipped or transposed again) first, so that cells stay aligned."""
        total = {}
        if own_view is None:
            outputs = self.extractor(images)
            total = {l.node: outputs[l.node].float().clone() for l in layers}
        for view in self.tta:
            seen = self.extractor(TTA_VIEWS[view](images))
            for l in layers:
                out = seen[l.node].float()
                back = TTA_VIEWS[view](out) if out.ndim == 4 else out
                if l.node not in total:  # the stored (N, D) rows are the flattened maps: shape them back
                    total[l.node] = torch.from_numpy(own_view[l.node]).to(back.device).reshape(back.shape)
                total[l.node] += back
        return {node: t / (1 + len(self.tta)) for node, t in total.items()}


class UnaugmentedFeatures:
    """The features an extraction without TTA wrote for the same backbone, preprocessing and images, read
    back as the image's own view of a TTA extraction: one forward pass per batch fewer, the same bits (the
    stored rows are the float32 outputs the pass would give; only unpooled layers qualify)."""

    def __init__(self, folder: str | Path, layers: list[Layer], pooling: dict, preprocess: Preprocessing, n: int,
                 opts: EngineOptions):
        self.folder = Path(folder)
        problem = self._mismatch(load_meta(self.folder), layers, pooling, preprocess, n, opts)
        if problem:
            raise TlbenchError(f"{self.folder} cannot stand for the images' own view: {problem} (extract them "
                               f"without `unaugmented`)")
        self.nodes = [l.node for l in layers]

    @staticmethod
    def _mismatch(meta: dict, layers: list[Layer], pooling: dict, preprocess: Preprocessing, n: int,
                  opts: EngineOptions) -> str | None:
        stored = {l["node"]: l for l in meta["layers"]}
        if meta.get("tta"):
            return "it was extracted with TTA"
        if meta["channels_last"] != opts.channels_last or opts.precision not in ("auto", meta["precision"]):
            return f"it ran at {meta['precision']}, channels_last {meta['channels_last']}"
        if meta["n_images"] != n:
            return f"it holds {meta['n_images']} images, not {n}"
        if meta["preprocessing"] != json.loads(json.dumps(asdict(preprocess))):
            return "its preprocessing differs"
        return next((f"it has no unpooled float32 {l.node}" for l in layers
                     if l.node not in stored or stored[l.node]["pooling"] or pooling.get(l.node)
                     or stored[l.node]["dtype"] != "float32"), None)

    def rows(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """The rows [start, stop) of every layer, copied out of the files (the TTA sum adds to them in place)."""
        return {node: np.array(np.load(self.folder / f"{node}.npy", mmap_mode="r")[start:stop], dtype=np.float32)
                for node in self.nodes}


def decoding_loader(source, preprocess: Preprocessing, opts: EngineOptions, ranges=None):
    """An iterator of (images, errors) batches whose `opts.num_workers` background workers start decoding
    now: consecutive batches of `opts.batch_size`, or the index `ranges` [(start, stop), ...] in that
    order (a Ray actor's share, decoded exactly as the local run decodes them)."""
    batching = ({"batch_size": opts.batch_size, "shuffle": False} if ranges is None
                else {"batch_sampler": [list(range(start, stop)) for start, stop in ranges]})
    loader = DataLoader(ImageDataset(source, preprocess), **batching, num_workers=opts.num_workers,
                        pin_memory=resolve_device(opts.device).type == "cuda",
                        worker_init_fn=background_worker() if opts.num_workers else None,
                        prefetch_factor=PREFETCH_BATCHES if opts.num_workers else None)
    return iter(loader)


class _Outputs:
    """The layers' `.npy` memmaps in `folder`, each made when its first batch arrives (its width is then known)."""

    def __init__(self, folder: Path, n: int, dtypes: dict):
        self.folder, self.n, self.dtypes, self.arrays = folder, n, dtypes, {}

    def write(self, start: int, features: dict[str, np.ndarray]) -> None:
        for node, values in features.items():
            if node not in self.arrays:
                self.arrays[node] = np.lib.format.open_memmap(
                    self.folder / f"{node}.npy", mode="w+", shape=(self.n, values.shape[1]),
                    dtype=np.dtype(self.dtypes.get(node, "float32")))
            self.arrays[node][start:start + len(values)] = values

    def close(self) -> dict[str, int]:
        """Flush every file; returns the widths."""
        widths = {node: arr.shape[1] for node, arr in self.arrays.items()}
        for arr in self.arrays.values():
            arr.flush()
        self.arrays.clear()
        return widths


def _fill(engine: Engine, loader, outputs: _Outputs, layers: list[Layer], pooling: dict, bar,
          own: UnaugmentedFeatures | None = None) -> tuple:
    """Run every batch; returns the engine's facts and the wall-clock time the first batch arrived."""
    seen, first = 0, float("nan")
    for images, errors in loader:
        if not seen:
            first = time.time()
        bad = [e for e in errors if e]
        if bad:
            raise TlbenchError(bad[0])
        own_view = own.rows(seen, seen + len(images)) if own else None
        outputs.write(seen, engine(images, layers, pooling, own_view))
        seen += len(images)
        bar.update(len(images))
    return engine.facts(), first


@dataclass
class EngineRecipe:
    """What a Ray actor needs to decode and run its batches as the local run does (pickled to it)."""
    spec_name: str
    layers: list
    opts: EngineOptions
    model: Any
    weights_id: str | None
    pooling: dict
    own: UnaugmentedFeatures | None = None

    def batches(self, source, ranges: list[tuple[int, int]]):
        preprocess = Engine.preprocessing(backbone(self.spec_name), self.opts, self.model, self.weights_id)
        return decoding_loader(source, preprocess, self.opts, ranges)

    def forward(self):
        """((images, first index) -> {node: features}, the engine's facts), the network built now."""
        engine = Engine.build(backbone(self.spec_name), self.layers, self.opts, self.model, self.weights_id)

        def run(images: torch.Tensor, start: int) -> dict[str, np.ndarray]:
            own_view = self.own.rows(start, start + len(images)) if self.own else None
            return engine(images, self.layers, self.pooling, own_view)

        return run, engine.facts()


def _start_batches(source, spec, chosen: list[Layer], pooling: dict, opts: EngineOptions, model, weights_id, own):
    """Start the work that runs while this process builds its own engine: the local backend's decoding
    workers (batches of (images, errors)), or Ray's actors (their (first index, features) as they finish)."""
    if opts.backend == "ray":
        from ..scale import extract_on_ray

        # the actors use this process's torch thread count: how a kernel splits over threads changes its
        # rounding (Lite0 features moved by 2.6e-5 between 1 and 2 threads), and the features must not move
        return extract_on_ray(opts.ray, EngineRecipe(spec.name, chosen, opts, model, weights_id, pooling, own), source,
                              opts.batch_size, threads=torch.get_num_threads(), device=opts.device)
    return decoding_loader(source, Engine.preprocessing(spec, opts, model, weights_id), opts)


def _fill_from_ray(batches, outputs: _Outputs, bar) -> tuple:
    """Write the actors' batches as they finish; returns their engine's facts and when the first one arrived."""
    facts, first = None, float("nan")
    for start, features, batch_facts in batches:
        facts, first = batch_facts, time.time() if first != first else first
        outputs.write(start, features)
        bar.update(len(next(iter(features.values()))))
    return facts, first


def _meta(engine: EngineFacts, backbone_name: str, layers: list[Layer], pooling: dict, widths: dict, n: int,
          dtypes: dict) -> dict:
    pre = engine.preprocess
    return {
        "backbone": backbone_name, "weights_id": pre.weights_id, "preprocessing": asdict(pre),
        "preprocessing_text": pre.describe() + (f"; features averaged over the image and its {', '.join(engine.tta)} "
                                                 f"views" if engine.tta else ""),
        "tta": list(engine.tta), "device": engine.device, "precision": engine.precision,
        "channels_last": engine.channels_last,
        "layers": [{"index": l.index, "node": l.node, "keras_name": l.keras_name, "shape": list(l.shape),
                    "pooling": pooling.get(l.node), "n_features": widths[l.node], "file": f"{l.node}.npy",
                    "dtype": dtypes.get(l.node, "float32")}
                   for l in layers],
        "n_images": n, "versions": library_versions(),
    }


def extract_features(images, backbone_name: str, layers: Sequence[int | str], out_dir: str | Path, *,
                     progress: bool = True, pooling: dict[str, str] | None = None, model: torch.nn.Module | None = None,
                     weights_id: str | None = None, extra_meta: dict | None = None,
                     dtypes: dict[str, str] | None = None, unaugmented: str | Path | None = None,
                     **options) -> ExtractionResult:
    """Write `<out_dir>/<node>.npy` (N x D float32) per layer and `<out_dir>/meta.json`, all layers from
    one forward pass per batch. `images`: image file paths, or a source with `__len__` and `image(i)`.
    `pooling`: {node: avg | max | pyramid | gridN} reduces those maps before they are stored. `model`: an
    already built (e.g. fine-tuned) network of this architecture, described by `weights_id`.
    `dtypes`: {node: float16} stores those layers in half precision (the network still runs as `precision` says).
    `unaugmented`: with `tta`, a folder this function wrote for the same images and backbone without TTA; its
    features stand for the images' own forward pass (`UnaugmentedFeatures`: the same bits, one pass fewer).
    `options`: the fields of EngineOptions (weights, batch_size, device, precision, ...)."""
    pooling, opts, dtypes = pooling or {}, EngineOptions(**options), dtypes or {}
    source = images if hasattr(images, "image") else PathSource(images)
    spec = backbone(backbone_name)
    chosen: list[Layer] = list(dict.fromkeys(spec.layer(k) for k in layers))
    if not len(source):
        raise TlbenchError("no images to extract features from")
    check_tta(opts.tta)
    if opts.weights == "auto" and model is None:
        resolve_weights(spec, None, opts.allow_download)  # missing weights fail before any worker starts
    own = None
    if unaugmented is not None and opts.tta:
        own = UnaugmentedFeatures(unaugmented, chosen, pooling, Engine.preprocessing(spec, opts, model, weights_id),
                                  len(source), opts)
    batches = _start_batches(source, spec, chosen, pooling, opts, model, weights_id, own)
    # local: built while the first batches are decoded; Ray: the actors build their own
    engine = Engine.build(spec, chosen, opts, model, weights_id) if opts.backend != "ray" else None
    n = len(source)
    with atomic_dir(out_dir) as tmp:
        outputs = _Outputs(tmp, n, dtypes)
        start = time.perf_counter()
        with tqdm(total=n, desc=f"extract {backbone_name}", unit="img", disable=not progress or None,
                  mininterval=1.0) as bar:
            if engine is None:
                facts, first = _fill_from_ray(batches, outputs, bar)
            else:
                facts, first = _fill(engine, batches, outputs, chosen, pooling, bar, own)
        seconds = time.perf_counter() - start
        widths = outputs.close()
        meta = _meta(facts, backbone_name, chosen, pooling, widths, n, dtypes)
        write_json(tmp / "meta.json", meta | (extra_meta or {}))
    return ExtractionResult(Path(out_dir), n, seconds, first)
