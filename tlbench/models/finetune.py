"""Fine-tuning a pre-trained backbone on a source dataset (the seed's "frozen layers" vs
"propagation"), resumable, with per-epoch curves."""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from ..data.images import open_rgb
from ..errors import TlbenchError
from ..processes import worker_init
from .backbones import build_backbone
from .device import autocast, configure_precision, deterministic_training, resolve_device, resolve_precision
from .preprocessing import Preprocessing
from .specs import backbone


def replace_head(model: nn.Module, name: str, n_classes: int) -> nn.Module:
    """A new classifier for `n_classes` on the backbone's pre-logits (-2) features."""
    *parents, last = backbone(name).head.split(".")
    holder = model
    for part in parents:
        holder = holder[int(part)] if part.isdigit() else getattr(holder, part)
    old = holder[int(last)] if last.isdigit() else getattr(holder, last)
    new = nn.Linear(old.in_features, n_classes)
    if last.isdigit():
        holder[int(last)] = new
    else:
        setattr(holder, last, new)
    if getattr(model, "AuxLogits", None) is not None:  # inception_v3's auxiliary head is not fine-tuned
        model.aux_logits, model.AuxLogits = False, None
    return model


HEAD_PREFIXES = ("classifier", "fc")


def set_trainable(model: nn.Module, train: str | list[str], head: tuple[str, ...] = HEAD_PREFIXES) -> list[str]:
    """`head`: frozen layers, only the new head learns; `all`: propagation, every weight learns;
    or a list of module-name prefixes that learn. Frozen BatchNorm layers keep their statistics."""
    if train == "all":
        prefixes = ("",)
    elif train == "head":
        prefixes = head
    elif isinstance(train, (list, tuple)) and train:
        prefixes = tuple(train) + head
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
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and not any(
            p.requires_grad for p in module.parameters()
        ):
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
    """Atomically. Through a file object: torch.save names the archive inside after a path's stem,
    which would put the temporary name into the bytes. The history goes through JSON first, so that
    a resumed run's (unpickled from the work file) pickles to the same bytes as an uninterrupted one's."""
    from ..io import atomic_path

    if "history" in state:
        state = state | {"history": json.loads(json.dumps(state["history"]))}
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        torch.save(state, fh)


def _optimizer(model: nn.Module, cfg: dict, epochs: int):
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg["optimizer"] == "sgd":
        opt = torch.optim.SGD(
            params, lr=cfg["lr"], momentum=cfg.get("momentum", 0.9), weight_decay=cfg.get("weight_decay", 0)
        )
    elif cfg["optimizer"] == "adam":
        opt = torch.optim.Adam(params, lr=cfg["lr"], weight_decay=cfg.get("weight_decay", 0))
    else:
        raise TlbenchError(f"finetune.optimizer {cfg['optimizer']!r}: use sgd or adam")
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs) if cfg["schedule"] == "cosine"
             else torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0))
    return opt, sched


def _loaders(train_samples, val_samples, cfg: dict, seed: int):
    pre = Preprocessing.for_backbone(backbone(cfg["backbone"]), cfg.get("resize", "squash"))
    train_ds = LabelledImages(train_samples, pre, bool(cfg["augment"]), seed)
    gen = torch.Generator().manual_seed(seed)
    workers = {"num_workers": int(cfg["num_workers"]), "worker_init_fn": worker_init() if cfg["num_workers"] else None}
    loader = DataLoader(train_ds, batch_size=int(cfg["batch_size"]), shuffle=True, generator=gen, **workers)
    val_loader = DataLoader(LabelledImages(val_samples, pre, False, seed), batch_size=int(cfg["batch_size"]), **workers)
    return train_ds, loader, val_loader, gen


def _train_epoch(model, loader, opt, dev, precision, desc: str, progress: bool) -> tuple[float, float]:
    model.train()
    _freeze_bn_stats(model)
    loss_fn = nn.CrossEntropyLoss()
    seen, loss_sum, correct = 0, 0.0, 0
    bar = tqdm(loader, desc=desc, unit="batch", disable=not progress or None, leave=False)
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
    return loss_sum / seen, correct / seen


def _check_classes(train_samples, classes: list[str]) -> None:
    counts = np.bincount([y for _, y in train_samples], minlength=len(classes))
    if (counts == 0).any():
        raise TlbenchError(
            f"class {classes[int(np.argmin(counts))]!r} has no training image: restore its folder or drop it"
        )


def _finetuned_id(name: str, cfg: dict, epochs: int, precision: str) -> str:
    trained = cfg["train"] if isinstance(cfg["train"], str) else "partial"
    return f"{backbone(name).weights_id}, fine-tuned on {cfg['source_name']} ({trained}; {epochs} epochs, {precision})"


def finetune(train_samples, val_samples, classes: list[str], cfg: dict, checkpoint: Path, work: Path,
             progress: bool = True) -> tuple[list[dict], list[float]]:
    """Train, evaluating on `val_samples` after every epoch; returns the per-epoch history and the
    wall time of each epoch run now.

    An interrupted run leaves `work` (the last finished epoch, optimizer and RNG state included);
    the next run with the same params resumes there. The final model goes to `checkpoint`."""
    _check_classes(train_samples, classes)
    name, seed, epochs = cfg["backbone"], int(cfg["seed"]), int(cfg["epochs"])
    dev = resolve_device(str(cfg["device"]))
    precision = resolve_precision(str(cfg.get("precision", "fp32")), dev, "finetune.precision")
    configure_precision(dev, precision)
    deterministic_training(int(cfg.get("threads", 0)))
    torch.manual_seed(seed)
    model = replace_head(build_backbone(name, cfg.get("weights", "auto"), bool(cfg.get("allow_download", False))),
                         name, len(classes)).to(dev)
    trainable = set_trainable(model, cfg["train"], head=(backbone(name).head,))
    opt, sched = _optimizer(model, cfg, epochs)
    train_ds, loader, val_loader, gen = _loaders(train_samples, val_samples, cfg, seed)
    fingerprint = params_fingerprint({k: v for k, v in cfg.items() if k not in ("num_workers", "device")} |
                                     {"classes": classes, "n_train": len(train_samples)})
    history, start = _resume(work, fingerprint, model, opt, sched, gen)
    seconds: list[float] = []  # per epoch, kept out of the history so that reruns give the same bytes
    if start:
        print(f"resuming {name} fine-tuning after epoch {start} of {epochs} ({work})")
    for epoch in range(start, epochs):
        train_ds.epoch, t0 = epoch, time.perf_counter()
        loss, acc = _train_epoch(model, loader, opt, dev, precision, f"epoch {epoch + 1}/{epochs}", progress)
        sched.step()
        val_loss, val_acc = evaluate(model, val_loader, dev, precision)
        history.append({"epoch": epoch + 1, "train_loss": round(loss, 6), "train_accuracy": round(acc, 6),
                        "val_loss": round(val_loss, 6), "val_accuracy": round(val_acc, 6),
                        "lr": round(opt.param_groups[0]["lr"], 8)})
        seconds.append(round(time.perf_counter() - t0, 2))
        print(f"epoch {epoch + 1}/{epochs}: train loss {loss:.3f} acc {acc:.3f}, "
              f"held-out loss {val_loss:.3f} acc {val_acc:.3f}")
        _save(work, {"fingerprint": fingerprint, "epoch": epoch, "model": model.state_dict(),
                     "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "generator": gen.get_state(),
                     "torch_rng": torch.get_rng_state(), "history": history})
    _save(checkpoint, {"backbone": name, "classes": classes, "model": model.state_dict(), "history": history,
                       "trainable": trainable, "weights_id": _finetuned_id(name, cfg, epochs, precision),
                       "precision": precision})
    work.unlink(missing_ok=True)
    return history, seconds


def _resume(work: Path, fingerprint: str, model, opt, sched, gen) -> tuple[list[dict], int]:
    """The history and next epoch of an interrupted run with the same params, restoring its state."""
    if not work.is_file():
        return [], 0
    state = torch.load(work, map_location="cpu", weights_only=False)
    if state.get("fingerprint") != fingerprint:
        return [], 0
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    gen.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    return state["history"], state["epoch"] + 1


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
        raise TlbenchError(f"{checkpoint} not found: run the fusion_finetune stage (`dvc repro fusion_finetune`)")
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    if state.get("backbone") != expected_backbone:
        raise TlbenchError(
            f"{checkpoint} holds a fine-tuned {state.get('backbone')!r}, the params ask for "
            f"{expected_backbone!r}: re-run `dvc repro fusion_finetune` or fix profiles.<profile>.finetune.backbone"
        )
    model = replace_head(build_backbone(expected_backbone, weights=None), expected_backbone, len(state["classes"]))
    model.load_state_dict(state["model"])
    return model.eval(), state
