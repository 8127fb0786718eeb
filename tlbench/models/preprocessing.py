"""What every image goes through before a backbone: resize, tensor, ImageNet normalisation."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import TlbenchError
from .specs import Backbone

RESIZE_MODES = {
    "squash": "resize to size x size ignoring aspect ratio, bilinear with antialiasing",
    "keras": "resize to size x size ignoring aspect ratio, nearest neighbour (Keras image.load_img(target_size=...))",
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
    def for_backbone(cls, spec: Backbone, resize: str = "squash", size: int | None = None) -> Preprocessing:
        return cls(size or spec.input_size, resize, spec.mean, spec.std, spec.weights_id)

    def describe(self) -> str:
        how = "shorter side resized and center-cropped to" if self.resize == "shorter_side_crop" else "squashed to"
        interpolation = "nearest neighbour as Keras load_img" if self.resize == "keras" else "bilinear"
        return f"RGB {how} {self.size}x{self.size}, {interpolation}, ImageNet mean/std; weights {self.weights_id}"

    def __call__(self, image) -> torch.Tensor:
        import torchvision.transforms.functional as F
        from PIL import Image

        if self.resize == "squash":
            image = F.resize(image, [self.size, self.size], antialias=True)
        elif self.resize == "keras":
            image = image.resize((self.size, self.size), Image.NEAREST)
        else:
            image = F.center_crop(F.resize(image, round(self.size * 256 / 224), antialias=True), self.size)
        return F.normalize(F.to_tensor(image), self.mean, self.std)
