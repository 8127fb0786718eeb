import pytest
import torch

from tlbench.data.demo.produce import write_fruits360
from tlbench.data.fruits360 import Fruits360
from tlbench.errors import TlbenchError
from tlbench.models.backbones import build_backbone
from tlbench.models.finetune import finetune, load_finetuned, replace_head, set_trainable

CFG = {"backbone": "efficientnet_lite0", "seed": 0, "train": ["blocks.6"], "optimizer": "sgd", "lr": 0.01,
       "momentum": 0.9, "schedule": "cosine", "batch_size": 8, "epochs": 2, "augment": True, "num_workers": 0,
       "device": "cpu", "source_name": "fruits twin"}


@pytest.fixture(scope="module")
def fruits(tmp_path_factory):
    return Fruits360.load(write_fruits360(tmp_path_factory.mktemp("fruits") / "fruits-360", 0, 3, 1))


@pytest.fixture(scope="module")
def trained(fruits, tmp_path_factory):
    d = tmp_path_factory.mktemp("ft")
    history, _ = finetune(fruits.train.samples, fruits.test.samples, fruits.train.classes, CFG, d / "model.pt",
                       d / "work.pt", progress=False)
    return d, history


def test_finetune_writes_history_and_checkpoint(trained):
    d, history = trained
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(0 <= h["val_accuracy"] <= 1 and h["train_loss"] > 0 for h in history)
    assert history[1]["train_loss"] < history[0]["train_loss"]
    assert (d / "model.pt").is_file() and not (d / "work.pt").exists()
    model, state = load_finetuned(d / "model.pt", "efficientnet_lite0")
    assert state["classes"][0] == "Apple Granny Smith" and model.classifier.out_features == 6
    assert "fine-tuned on fruits twin" in state["weights_id"]


def test_interrupted_run_resumes_to_the_same_weights(fruits, trained, tmp_path, monkeypatch, capsys):
    import tlbench.models.finetune as ft

    calls = {"n": 0}
    real_save = ft._save

    def crash_after_first_epoch(path, state):
        real_save(path, state)
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(ft, "_save", crash_after_first_epoch)
    with pytest.raises(KeyboardInterrupt):
        finetune(fruits.train.samples, fruits.test.samples, fruits.train.classes, CFG, tmp_path / "m.pt",
                 tmp_path / "w.pt", progress=False)
    assert (tmp_path / "w.pt").is_file() and not (tmp_path / "m.pt").exists()
    monkeypatch.setattr(ft, "_save", real_save)
    history, _ = finetune(fruits.train.samples, fruits.test.samples, fruits.train.classes, CFG, tmp_path / "m.pt",
                       tmp_path / "w.pt", progress=False)
    assert "resuming efficientnet_lite0 fine-tuning after epoch 1 of 2" in capsys.readouterr().out
    reference = torch.load(trained[0] / "model.pt", weights_only=False)
    resumed = torch.load(tmp_path / "m.pt", weights_only=False)
    assert history == trained[1] == resumed["history"]
    assert all("seconds" not in h for h in history)  # wall times would make every rerun's files differ
    for k, v in reference["model"].items():
        assert torch.equal(v, resumed["model"][k]), k
    # DVC hashes the file: a resumed run must write the uninterrupted run's bytes, not only its tensors
    assert (tmp_path / "m.pt").read_bytes() == (trained[0] / "model.pt").read_bytes()


def test_class_without_images(fruits, tmp_path):
    samples = [(p, y) for p, y in fruits.train.samples if y != 2]
    with pytest.raises(TlbenchError, match="class 'Banana' has no training image"):
        finetune(samples, fruits.test.samples, fruits.train.classes, CFG, tmp_path / "m.pt", tmp_path / "w.pt")


def test_checkpoint_of_another_backbone(trained):
    from tlbench.params import Profile

    with pytest.raises(
        TlbenchError, match="holds a fine-tuned 'efficientnet_lite0', the params ask for 'resnet50'"
    ) as info:
        load_finetuned(trained[0] / "model.pt", "resnet50")
    assert "profiles.<profile>.finetune.backbone" in str(info.value)  # a param that exists:
    assert "backbone" in Profile.model_fields["finetune"].annotation.model_fields
    with pytest.raises(TlbenchError, match="not found: run the fusion_finetune stage"):
        load_finetuned(trained[0] / "nope.pt", "resnet50")


def test_frozen_layers_versus_propagation():
    model = replace_head(build_backbone("resnet50", weights=None), "resnet50", 5)
    assert model.fc.out_features == 5
    assert set_trainable(model, "head") == ["fc.weight", "fc.bias"]
    assert len(set_trainable(model, "all")) == len(list(model.parameters()))
    names = set_trainable(model, ["layer4"])
    assert all(n.startswith(("layer4", "fc")) for n in names) and not model.conv1.weight.requires_grad
    with pytest.raises(TlbenchError, match="matches no parameter|use head, all"):
        set_trainable(model, [])
