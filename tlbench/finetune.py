"""Fine-tuning a pre-trained backbone on a source dataset (the seed's "frozen layers" vs
"propagation"), resumable, with per-epoch curves."""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from .backbones import build_backbone
from .datasets import open_rgb
from .errors import TlbenchError
from .extract import Preprocessing, autocast, resolve_device
from .registry import backbone


def replace_head(model: nn.Module, name: str, n_classes: int) -> nn.Module:
    """A new classifier for `n_classes` on the backbone's pre-logits (-2) features."""
    spec = backbone(name)
    if spec.family == "timm":
        model.reset_classifier(n_classes)
    elif spec.arch.startswith("vgg"):
        model.classifier[6] = nn.Linear(model.classifier[6].in_features, n_classes)
    else:  # resnet50, inception_v3
        model.fc = nn.Linear(model.fc.in_features, n_classes)
        if getattr(model, "AuxLogits", None) is not None:
            model.aux_logits, model.AuxLogits = False, None
    return model


HEAD_PREFIXES = ("classifier", "fc")


def set_trainable(model: nn.Module, train: str | list[str]) -> list[str]:
    """`head`: frozen layers, only the new head learns; `all`: propagation, every weight learns;
    or a list of module-name prefixes that learn. Frozen BatchNorm layers keep their statistics."""
    if train == "all":
        prefixes = ("",)
    elif train == "head":
        prefixes = HEAD_PREFIXES
    elif isinstance(train, (list, tuple)) and train:
        prefixes = tuple(train) + HEAD_PREFIXES
    else:
        raise TlbenchError(f"finetune.train {train!r}: use head, all or a list of module prefixes")
    names = []
    for pname, param in model.named_parameters():
        param.requires_grad = any(pname.startswith(p) for p in prefixes)
        if param.requires_grad:
            names.append(pname)
    if not names:
        raise TlbenchError(f"finetune.train {train!r} matches no parameter: see the module names of the backbone")
    return names


def _freeze_bn_stats(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and not any(p.requires_grad for p in module.parameters()):
            module.eval()


class LabelledImages(Dataset):
    def __init__(self, samples, preprocess: Preprocessing, augment: bool, seed: int):
        self.samples, self.preprocess, self.augment, self.seed = samples, preprocess, augment, seed
        self.epoch = 0

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[i]
        image = open_rgb(path)
        if self.augment:  # seeded per (epoch, image): the same run gives the same batches
            import torchvision.transforms.functional as F

            rng = np.random.default_rng([self.seed, self.epoch, i])
            if rng.random() < 0.5:
                image = F.hflip(image)
            image = F.rotate(image, float(rng.uniform(-20, 20)), fill=[255, 255, 255])
        return self.preprocess(image), label


def params_fingerprint(cfg: dict) -> str:
    return hashlib.sha256(json.dumps(cfg, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _save(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tlbench-tmp-{path.name}")
    torch.save(state, tmp)
    os.replace(tmp, path)


def finetune(train_samples, val_samples, classes: list[str], cfg: dict, checkpoint: Path, work: Path,
             progress: bool = True) -> list[dict]:
    """Train, evaluating on `val_samples` after every epoch; returns the per-epoch history.

    An interrupted run leaves `work` (the last finished epoch, optimizer and RNG state included);
    the next run with the same params resumes there. The final model goes to `checkpoint`."""
    counts = np.bincount([y for _, y in train_samples], minlength=len(classes))
    if (counts == 0).any():
        raise TlbenchError(f"class {classes[int(np.argmin(counts))]!r} has no training image: restore its folder or drop it")
    name, seed = cfg["backbone"], int(cfg["seed"])
    dev = resolve_device(str(cfg["device"]))
    precision = "fp32" if dev.type == "cpu" else "bf16"  # AMP on CUDA
    torch.manual_seed(seed)
    model = replace_head(build_backbone(name, cfg.get("weights", "auto"), bool(cfg.get("allow_download", False))),
                         name, len(classes)).to(dev)
    trainable = set_trainable(model, cfg["train"])
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg["optimizer"] == "sgd":
        opt = torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg.get("momentum", 0.9), weight_decay=cfg.get("weight_decay", 0))
    elif cfg["optimizer"] == "adam":
        opt = torch.optim.Adam(params, lr=cfg["lr"], weight_decay=cfg.get("weight_decay", 0))
    else:
        raise TlbenchError(f"finetune.optimizer {cfg['optimizer']!r}: use sgd or adam")
    epochs = int(cfg["epochs"])
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs) if cfg["schedule"] == "cosine"
             else torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0))
    spec = backbone(name)
    pre = Preprocessing.for_backbone(spec, cfg.get("resize", "squash"))
    train_ds = LabelledImages(train_samples, pre, bool(cfg["augment"]), seed)
    val_ds = LabelledImages(val_samples, pre, False, seed)
    gen = torch.Generator().manual_seed(seed)
    loader = DataLoader(train_ds, batch_size=int(cfg["batch_size"]), shuffle=True, generator=gen,
                        num_workers=int(cfg["num_workers"]))
    val_loader = DataLoader(val_ds, batch_size=int(cfg["batch_size"]), num_workers=int(cfg["num_workers"]))
    fingerprint = params_fingerprint({k: v for k, v in cfg.items() if k not in ("num_workers", "device")} |
                                     {"classes": classes, "n_train": len(train_samples)})
    history, start = [], 0
    if work.is_file():
        state = torch.load(work, map_location="cpu", weights_only=False)
        if state.get("fingerprint") == fingerprint:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            gen.set_state(state["generator"])
            torch.set_rng_state(state["torch_rng"])
            history, start = state["history"], state["epoch"] + 1
            print(f"resuming {name} fine-tuning after epoch {start} of {epochs} ({work})")
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(start, epochs):
        model.train()
        _freeze_bn_stats(model)
        train_ds.epoch = epoch
        t0, seen, loss_sum, correct = time.perf_counter(), 0, 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", disable=not progress or None, leave=False)
        for images, labels in bar:
            images, labels = images.to(dev), labels.to(dev)
            with autocast(dev, precision):
                logits = model(images)
                loss = loss_fn(logits.float(), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            seen += len(labels)
            loss_sum += float(loss.detach()) * len(labels)
            correct += int((logits.argmax(1) == labels).sum())
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}")
        sched.step()
        val_loss, val_acc = evaluate(model, val_loader, dev, precision)
        history.append({"epoch": epoch + 1, "train_loss": round(loss_sum / seen, 6), "train_accuracy": round(correct / seen, 6),
                        "val_loss": round(val_loss, 6), "val_accuracy": round(val_acc, 6),
                        "lr": round(opt.param_groups[0]["lr"], 8), "seconds": round(time.perf_counter() - t0, 2)})
        print(f"epoch {epoch + 1}/{epochs}: train loss {loss_sum / seen:.3f} acc {correct / seen:.3f}, "
              f"held-out loss {val_loss:.3f} acc {val_acc:.3f}")
        _save(work, {"fingerprint": fingerprint, "epoch": epoch, "model": model.state_dict(),
                     "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "generator": gen.get_state(),
                     "torch_rng": torch.get_rng_state(), "history": history})
    _save(checkpoint, {"backbone": name, "classes": classes, "model": model.state_dict(), "history": history,
                       "trainable": trainable, "weights_id": f"{spec.weights_id}, fine-tuned on {cfg['source_name']} "
                       f"({cfg['train'] if isinstance(cfg['train'], str) else 'partial'}; {epochs} epochs)"})
    work.unlink(missing_ok=True)
    return history


@torch.inference_mode()
def evaluate(model: nn.Module, loader, dev, precision) -> tuple[float, float]:
    model.eval()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total, loss_sum, correct = 0, 0.0, 0
    for images, labels in loader:
        images, labels = images.to(dev), labels.to(dev)
        with autocast(dev, precision):
            logits = model(images).float()
        loss_sum += float(loss_fn(logits, labels))
        correct += int((logits.argmax(1) == labels).sum())
        total += len(labels)
    return loss_sum / total, correct / total


def load_finetuned(checkpoint: Path, expected_backbone: str) -> tuple[nn.Module, dict]:
    """The fine-tuned model (eval mode) and its checkpoint record, checked against the params."""
    if not Path(checkpoint).is_file():
        raise TlbenchError(f"{checkpoint} not found: run the finetune stage (`dvc repro finetune`)")
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    if state.get("backbone") != expected_backbone:
        raise TlbenchError(f"{checkpoint} holds a fine-tuned {state.get('backbone')!r}, the params ask for "
                           f"{expected_backbone!r}: re-run `dvc repro finetune` or fix profiles.*.fusion_backbone")
    model = replace_head(build_backbone(expected_backbone, weights=None), expected_backbone, len(state["classes"]))
    model.load_state_dict(state["model"])
    return model.eval(), state
