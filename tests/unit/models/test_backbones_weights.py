import pytest
import torch

from tlbench.errors import TlbenchError
from tlbench.models.backbones import build_backbone, resolve_weights
from tlbench.models.specs import backbone


def test_missing_hub_weights_name_file_url_and_place(torch_home):
    with pytest.raises(TlbenchError) as err:
        resolve_weights(backbone("resnet50"))
    msg = str(err.value)
    assert "resnet50-0676ba61.pth" in msg
    assert "https://download.pytorch.org/models/resnet50-0676ba61.pth" in msg
    assert str(torch_home / "hub" / "checkpoints") in msg
    assert "\n" not in msg


def test_weights_found_in_the_hub_cache(torch_home):
    spec = backbone("vgg19")
    path = torch_home / "hub" / "checkpoints" / spec.weights_filename
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x")
    assert resolve_weights(spec) == path


def test_explicit_weights_path_missing(tmp_path):
    with pytest.raises(TlbenchError, match=r"nowhere\.pth.*extract\.weights\.vgg19"):
        resolve_weights(backbone("vgg19"), tmp_path / "nowhere.pth")


def test_corrupt_weights_file(tmp_path):
    bad = tmp_path / "resnet50.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(TlbenchError, match="cannot read weights file"):
        build_backbone("resnet50", weights=bad)


def test_weights_of_another_architecture(tmp_path):
    import torchvision

    other = tmp_path / "resnet18.pth"
    torch.save(torchvision.models.resnet18().state_dict(), other)
    with pytest.raises(TlbenchError, match="does not fit resnet50"):
        build_backbone("resnet50", weights=other)


def test_explicit_file_loads(tmp_path):
    import torchvision

    path = tmp_path / "r50.pth"
    reference = torchvision.models.resnet50()
    torch.save(reference.state_dict(), path)
    model = build_backbone("resnet50", weights=path)
    assert torch.equal(model.fc.weight, reference.fc.weight)


def test_failed_download_ends_with_the_same_instructions(torch_home, monkeypatch):
    import urllib.error

    def offline(url, dst, progress=True):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    with pytest.raises(
        TlbenchError, match=r"resnet50 not found and the download failed \(URLError\).*resnet50-0676ba61.pth"
    ):
        resolve_weights(backbone("resnet50"), allow_download=True)
    assert not (torch_home / "hub" / "checkpoints" / "resnet50-0676ba61.pth").exists()
