import pytest
import torch

from tlbench.errors import TlbenchError
from tlbench.models.backbones import build_backbone, feature_extractor, pypi_weights_path, rename_lukemelas_keys
from tlbench.models.specs import BACKBONES, backbone

# The feature counts of the ImageNet head (-1, for LEEP), then of the seed's Table 6 (Keras layers
# -2..-7), and Lite0's documented sweep.
EXPECTED_COUNTS = {
    "vgg19": [1000, 4096, 4096, 25088, 25088, 100352, 100352],
    "resnet50": [1000, 2048, 2048, 100352, 100352, 100352, 100352],
    "efficientnet_lite0": [1000, 1280, 62720, 62720, 15680, 9408, 21952],
    "inception_v3": [1000, 2048, 2048, 131072, 131072, 81920, 221952],
}
INDICES = [-1, -2, -3, -4, -5, -6, -7]


def run_sweep(name, weights=None):
    spec = backbone(name)
    model = build_backbone(name, weights=weights)
    extractor = feature_extractor(model, spec, list(spec.layers))
    torch.manual_seed(0)
    with torch.inference_mode():
        out = extractor(torch.randn(1, 3, spec.input_size, spec.input_size))
    return spec, out


@pytest.mark.parametrize("name", ["vgg19", "resnet50", "inception_v3"])
def test_layer_counts_with_random_weights(name):
    spec, out = run_sweep(name)
    assert [l.index for l in spec.layers] == INDICES
    counts = [out[l.node][0].numel() for l in spec.layers]
    assert counts == EXPECTED_COUNTS[name]
    assert counts == [l.n_features for l in spec.layers]


def test_lite0_sweep_counts():
    spec, out = run_sweep("efficientnet_lite0", weights="auto")
    assert [out[l.node][0].numel() for l in spec.layers] == EXPECTED_COUNTS["efficientnet_lite0"]


def test_resnet_intermediates_are_not_overwritten_in_place():
    spec, out = run_sweep("resnet50")
    relu, add, bn3, conv3 = (out[spec.layer(i).node] for i in (-4, -5, -6, -7))
    assert (relu >= 0).all()
    assert (add < 0).any(), "the residual add must be the pre-ReLU tensor"
    assert torch.equal(relu, add.clamp_min(0))
    assert not torch.allclose(bn3, add), "bn3 must not carry the residual added in place"


def test_all_layers_come_from_one_forward_pass():
    spec = backbone("resnet50")
    extractor = feature_extractor(build_backbone("resnet50", weights=None), spec, list(spec.layers))
    calls = []
    extractor.conv1.register_forward_hook(lambda *a: calls.append(1))
    with torch.inference_mode():
        out = extractor(torch.randn(2, 3, 224, 224))
    assert len(calls) == 1 and len(out) == 7


def test_layers_by_index_string_or_node_name():
    spec = backbone("vgg19")
    assert spec.layer(-5) is spec.layer("-5") is spec.layer("features.36")
    assert spec.layer(-5).keras_name == "block5_pool"


def test_unknown_layer_and_backbone_name_the_choices():
    with pytest.raises(TlbenchError, match=r"unknown layer 'layer9'.*-2 \(flatten\)"):
        backbone("resnet50").layer("layer9")
    with pytest.raises(TlbenchError, match="unknown backbone 'resnet51'.*resnet50"):
        backbone("resnet51")


@pytest.mark.parametrize("name", ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"])
def test_lite_rename_covers_every_key_strictly(name):
    state = torch.load(pypi_weights_path(backbone(name)), map_location="cpu", weights_only=True)
    renamed = rename_lukemelas_keys(state)
    import timm

    model = timm.create_model(name, pretrained=False)
    assert len(state) == len(renamed) == len(model.state_dict())
    assert set(renamed) == set(model.state_dict())
    model.load_state_dict(renamed, strict=True)
    assert torch.equal(model.classifier.weight, state["_fc.weight"])
    if name == "efficientnet_lite0":
        assert len(state) == 296


@pytest.mark.parametrize("name, photo, expected_top", [
    ("efficientnet_lite0", "chelsea", {285, 282, 281}), ("efficientnet_lite0", "coffee", {967}),
    ("efficientnet_lite1", "chelsea", {285, 281, 282}), ("efficientnet_lite2", "chelsea", {285, 282, 281})])
def test_lite_weights_are_real_imagenet_weights(name, photo, expected_top):
    from PIL import Image
    from skimage import data

    from tlbench.models.preprocessing import Preprocessing

    spec = backbone(name)
    image = Image.fromarray(getattr(data, photo)())
    x = Preprocessing.for_backbone(spec)(image)[None]
    assert x.shape[-1] == spec.input_size
    with torch.inference_mode():
        logits = build_backbone(name)(x)
    top = logits[0].topk(len(expected_top)).indices.tolist()
    assert set(top) == expected_top


def test_every_registered_backbone_has_the_six_layer_sweep_and_its_head():
    for spec in BACKBONES.values():
        assert [l.index for l in spec.layers] == INDICES
        assert len({l.node for l in spec.layers}) == 7
        assert spec.layer(-1).node == spec.head  # the ImageNet head that LEEP reads is the one fine-tuning replaces
