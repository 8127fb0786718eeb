"""The seed's teaching recipes (its Keras notebooks, in torch) on the CIFAR-10 subsample:
FE1 features + 3-NN CV; FE2 + PCA + linear SVM; FE3 multi-layer fusion; fine-tuning a new softmax
head; autoencoder codes + linear SVM. One stage, one table."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC
from torch import nn

from .config import Params
from .errors import TlbenchError
from .io import atomic_write_text, git_commit, library_versions, load_features, load_meta, write_json

RESULTS = Path("reports/metrics/recipes.json")


class ArraySource:
    """Images held as an (N, H, W, 3) uint8 array (the CIFAR subsample is small)."""

    def __init__(self, images: np.ndarray):
        self.images = images

    def __len__(self):
        return len(self.images)

    def image(self, i):
        from PIL import Image

        return Image.fromarray(self.images[i])


class ConvAutoencoder(nn.Module):
    """The seed's AE for 32x32 inputs: Conv(8, stride 2) -> Conv(8) -> max-pool -> flattened code
    (8 x 8 x 8 = 512); the decoder mirrors it."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                                     nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.decoder = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                                     nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))

    def code(self, x):
        return self.encoder(x).flatten(1)


def _batches(n: int, batch: int, rng: np.random.Generator):
    order = rng.permutation(n)
    return [order[i:i + batch] for i in range(0, n, batch)]


def train_autoencoder(train: np.ndarray, cfg: dict, seed: int) -> tuple[ConvAutoencoder, list[float]]:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(train).permute(0, 3, 1, 2).float() / 255
    model = ConvAutoencoder()
    opt = torch.optim.Adam(model.parameters(), lr=float(cfg["lr"]))
    losses = []
    for _ in range(int(cfg["epochs"])):
        total = 0.0
        for idx in _batches(len(x), int(cfg["batch_size"]), rng):
            loss = nn.functional.mse_loss(model(x[idx]), x[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / len(x))
    return model.eval(), losses


def train_softmax_head(Xtr, ytr, Xte, yte, n_classes: int, cfg: dict, seed: int) -> list[dict]:
    """The seed's fine-tuning recipe: a new softmax layer on the frozen network's -2 features,
    SGD, cross-entropy. With the base frozen (and no augmentation) its input never changes, so it
    trains on the cached features: the same computation, without 10 forward passes per image."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    head = nn.Linear(Xtr.shape[1], n_classes)
    opt = torch.optim.SGD(head.parameters(), lr=float(cfg["lr"]))
    xt, yt = torch.from_numpy(Xtr).float(), torch.from_numpy(ytr)
    xv, yv = torch.from_numpy(Xte).float(), torch.from_numpy(yte)
    history = []
    for epoch in range(int(cfg["epochs"])):
        total, correct = 0.0, 0
        for idx in _batches(len(xt), int(cfg["batch_size"]), rng):
            logits = head(xt[idx])
            loss = nn.functional.cross_entropy(logits, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == yt[idx]).sum())
        with torch.no_grad():
            val = head(xv)
        history.append({"epoch": epoch + 1, "train_loss": total / len(xt), "train_accuracy": correct / len(xt),
                        "val_loss": float(nn.functional.cross_entropy(val, yv)),
                        "val_accuracy": float((val.argmax(1) == yv).float().mean())})
    return history


def _svm_accuracy(Xtr, ytr, Xte, yte, n_pca: int | None, C: float, seed: int) -> float:
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(Xtr)
    Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
    if n_pca:
        if n_pca > min(Xtr.shape):
            raise TlbenchError(f"PCA({n_pca}) needs {n_pca} training images, the subsample has {len(Xtr)}: "
                               f"raise profiles.*.recipes.fraction or lower recipes.pca")
        pca = PCA(n_pca, random_state=seed).fit(Xtr)
        Xtr, Xte = pca.transform(Xtr), pca.transform(Xte)
    return float((SVC(kernel="linear", C=C).fit(Xtr, ytr).predict(Xte) == yte).mean())


def stage_recipes(params: Params, progress: bool = True) -> dict:
    from .catalog import dataset_root, require
    from .datasets import CIFAR10
    from .extract import engine_options, extract_features
    from .fusion import align
    from .registry import backbone

    require(params, ["cifar10"])
    r, seed = params.get("recipes"), params.seed
    fraction = float(params.profile_get("recipes.fraction"))
    ds = CIFAR10.load(dataset_root(params, "cifar10"))
    tr_idx, te_idx = ds.subsample(fraction, seed, "train"), ds.subsample(fraction, seed, "test")
    ytr, yte = ds.split_labels("train")[tr_idx], ds.split_labels("test")[te_idx]
    train_img, test_img = ds.images("train", tr_idx), ds.images("test", te_idx)
    name = params.profile_get("recipes.backbone")
    spec = backbone(name)
    nodes = {"global": spec.layer(-2).node, "last": spec.layer(-5).node, "early": spec.layer("block1").node}
    cfg = params.get("extract")
    work = params.resolve_path("data/features/recipes")
    timings, feats = {}, {}
    for split, images in (("train", train_img), ("test", test_img)):
        t0 = time.perf_counter()
        # in-memory arrays: no decoding to spread over workers
        extract_features(ArraySource(images), name, list(nodes.values()), work / split,
                         **(engine_options(cfg, name) | {"num_workers": 0}), progress=progress,
                         pooling={nodes["last"]: r["pooling"], nodes["early"]: r["pooling"]})
        feats[split] = {k: np.asarray(load_features(work / split, v), dtype=np.float64) for k, v in nodes.items()}
        timings[f"extract_{split}"] = round(time.perf_counter() - t0, 2)
    meta = load_meta(work / "train")
    F, results = feats, []
    C = float(r["svm"]["C"])

    knn = cross_val_score(KNeighborsClassifier(int(r["knn"]["k"])), F["train"]["global"], ytr,
                          cv=StratifiedKFold(int(r["knn"]["folds"]), shuffle=True, random_state=seed))
    results.append({"recipe": "FE1", "what": f"-2 features, {r['knn']['k']}-NN, stratified {r['knn']['folds']}-fold CV",
                    "metric": "CV accuracy", "mean": float(knn.mean()), "std": float(knn.std())})
    results.append({"recipe": "FE2", "what": f"-2 features, PCA({r['pca']}), linear SVM", "metric": "test accuracy",
                    "mean": _svm_accuracy(F["train"]["global"], ytr, F["test"]["global"], yte, int(r["pca"]), C, seed)})
    for local, label in (("last", "last block"), ("early", "1st block")):
        parts = [align(F["train"][k], F["test"][k], "standardize") for k in ("global", local)]
        acc = _svm_accuracy(np.hstack([p[0] for p in parts]), ytr, np.hstack([p[1] for p in parts]), yte,
                            int(r["pca"]), C, seed)
        results.append({"recipe": "FE3" + ("" if local == "last" else "b"), "metric": "test accuracy", "mean": acc,
                        "what": f"-2 + {label} ({r['pooling']} pooled) fused, PCA({r['pca']}), linear SVM"})
    history = train_softmax_head(F["train"]["global"], ytr, F["test"]["global"], yte, 10, r["finetune"], seed)
    results.append({"recipe": "Fine-tuning", "metric": "test accuracy", "mean": history[-1]["val_accuracy"],
                    "what": f"new softmax head on -2, SGD lr {r['finetune']['lr']}, batch {r['finetune']['batch_size']}, "
                            f"{r['finetune']['epochs']} epochs (frozen base)"})
    t0 = time.perf_counter()
    ae, ae_losses = train_autoencoder(train_img, r["autoencoder"], seed)
    with torch.no_grad():
        codes = {s: ae.code(torch.from_numpy(im).permute(0, 3, 1, 2).float() / 255).numpy()
                 for s, im in (("train", train_img), ("test", test_img))}
    timings["autoencoder"] = round(time.perf_counter() - t0, 2)
    results.append({"recipe": "Autoencoder", "metric": "test accuracy",
                    "mean": _svm_accuracy(codes["train"], ytr, codes["test"], yte, None, C, seed),
                    "what": f"conv AE codes (512), MSE, Adam, {r['autoencoder']['epochs']} epochs, linear SVM"})
    for row in results:
        row["mean"] = round(row["mean"], 6)
        if "std" in row:
            row["std"] = round(row["std"], 6)
    out = {"results": results, "finetune_history": history, "autoencoder_loss": [round(x, 6) for x in ae_losses],
           "n_train": len(ytr), "n_test": len(yte), "fraction": fraction, "backbone": name, "seed": seed,
           "weights_id": meta["weights_id"], "preprocessing": meta["preprocessing_text"], "profile": params.profile}
    write_json(params.resolve_path(RESULTS), out)
    write_json(params.resolve_path("reports/metrics/recipes_timing.json"), {"recipes": timings, "versions": library_versions()})
    render(params, out)
    return out


def render(params: Params, out: dict) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .report import environment, save_figure

    rows = [[r["recipe"], r["what"], r["metric"],
             f"{100 * r['mean']:.2f} ± {100 * r['std']:.2f}" if "std" in r else f"{100 * r['mean']:.2f}"]
            for r in out["results"]]
    data = "CIFAR-10" if out["profile"] == "paper" else "the CIFAR-10 twin (demo profile)"
    caption = (f"The seed's teaching recipes on a {100 * out['fraction']:g} % stratified subsample of {data} "
               f"({out['n_train']} training, {out['n_test']} test images, seed {out['seed']}); accuracy (%). "
               f"Backbone {out['backbone']}: {out['preprocessing']}. Profile {out['profile']}, commit "
               f"{git_commit(params.root_dir)}")
    tables = params.resolve_path(params.get("report.tables_dir"))
    ctx = {"caption": caption, "rows": rows, "header": ["Recipe", "What", "Metric", "Ours"], "label": "tab:recipes",
           "align": "lllr"}
    written = [atomic_write_text(tables / "recipes.tex", environment("tex").get_template("plain_table.tex.j2").render(**ctx)),
               atomic_write_text(tables / "recipes.md", environment("md").get_template("plain_table.md.j2").render(**ctx))]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.3), layout="constrained")
    h = out["finetune_history"]
    a.plot([x["epoch"] for x in h], [100 * x["train_accuracy"] for x in h], marker="o", label="train")
    a.plot([x["epoch"] for x in h], [100 * x["val_accuracy"] for x in h], marker="o", label="test")
    a.set(title="fine-tuning recipe: new softmax head", xlabel="epoch", ylabel="accuracy (%)")
    b.plot(range(1, len(out["autoencoder_loss"]) + 1), out["autoencoder_loss"], marker="o")
    b.set(title="autoencoder recipe", xlabel="epoch", ylabel="reconstruction MSE")
    for ax in (a, b):
        ax.grid(alpha=0.3)
    a.legend()
    written += save_figure(fig, params.resolve_path(params.get("report.figures_dir")) / "recipes_curves")
    return written
