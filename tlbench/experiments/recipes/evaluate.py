"""Stage recipes_evaluate: the seed's teaching recipes (its Keras notebooks, in torch) on the
CIFAR-10 subsample: FE1 features + k-NN CV; FE2 + PCA + linear SVM; FE3 multi-layer fusion;
fine-tuning a new softmax head; autoencoder codes + linear SVM."""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ... import paths
from ...data.cifar10 import CIFAR10
from ...errors import TlbenchError
from ...io import library_versions, load_features, load_meta, write_json
from ...params import Params
from ...records import RecipeResult, RecipesRecords
from ..stage import main


def svm_accuracy(Xtr, ytr, Xte, yte, n_pca: int | None, C: float) -> float:
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from ...methods.pca import exact_pca

    scaler = StandardScaler().fit(Xtr)
    Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
    if n_pca:
        if n_pca > min(Xtr.shape):
            raise TlbenchError(f"PCA({n_pca}) needs {n_pca} training images, the subsample has {len(Xtr)}: "
                               f"raise profiles.<profile>.recipes.fraction or lower recipes.pca")
        pca = exact_pca(n_pca).fit(Xtr)
        Xtr, Xte = pca.transform(Xtr), pca.transform(Xte)
    return float((SVC(kernel="linear", C=C).fit(Xtr, ytr).predict(Xte) == yte).mean())


def load_subsample(params: Params) -> dict:
    ds, fraction, seed = CIFAR10.load(params.dataset_root("cifar10")), params.settings.recipes.fraction, params.seed
    tr_idx, te_idx = ds.subsample(fraction, seed, "train"), ds.subsample(fraction, seed, "test")
    return {"ytr": ds.split_labels("train")[tr_idx], "yte": ds.split_labels("test")[te_idx],
            "train": ds.images("train", tr_idx), "test": ds.images("test", te_idx)}


def extract(params: Params, data: dict, progress: bool) -> tuple[dict, dict, dict]:
    """{split: {global, last, early: features}}, the engine's meta and the seconds per split."""
    from ...data.sources import ArraySource
    from ...models.extract import EngineOptions, extract_features
    from ...models.specs import backbone

    name, pooling = params.settings.recipes.backbone, params.model.recipes.pooling
    spec, work = backbone(name), params.resolve_path(paths.RECIPES_FEATURES)
    nodes = {"global": spec.layer(-2).node, "last": spec.layer(-5).node, "early": spec.layer("block1").node}
    options = EngineOptions.from_params(params, name, num_workers=0)  # in memory: nothing to decode
    feats, seconds = {}, {}
    for split in ("train", "test"):
        t0 = time.perf_counter()
        extract_features(ArraySource(data[split]), name, list(nodes.values()), work / split, progress=progress,
                         pooling={nodes["last"]: pooling, nodes["early"]: pooling}, **vars(options))
        feats[split] = {k: np.asarray(load_features(work / split, v), dtype=np.float64) for k, v in nodes.items()}
        seconds[f"extract_{split}"] = round(time.perf_counter() - t0, 2)
    return feats, load_meta(work / "train"), seconds


def feature_recipes(params: Params, F: dict, ytr, yte) -> list[RecipeResult]:
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    from ...methods.fusion import align

    r, seed = params.model.recipes, params.seed
    k, folds = r.knn["k"], r.knn["folds"]
    knn = cross_val_score(KNeighborsClassifier(k), F["train"]["global"], ytr,
                          cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
    results = [RecipeResult("FE1", f"-2 features, {k}-NN, stratified {folds}-fold CV", "CV accuracy",
                            float(knn.mean()), float(knn.std(ddof=1))),
               RecipeResult("FE2", f"-2 features, PCA({r.pca}), linear SVM", "test accuracy",
                            svm_accuracy(F["train"]["global"], ytr, F["test"]["global"], yte, r.pca, r.svm.C))]
    for local, label in (("last", "last block"), ("early", "1st block")):
        parts = [align(F["train"][key], F["test"][key], "standardize") for key in ("global", local)]
        acc = svm_accuracy(np.hstack([p[0] for p in parts]), ytr, np.hstack([p[1] for p in parts]), yte,
                           r.pca, r.svm.C)
        results.append(RecipeResult("FE3" + ("" if local == "last" else "b"),
                                    f"-2 + {label} ({r.pooling} pooled) fused, PCA({r.pca}), linear SVM",
                                    "test accuracy", acc))
    return results


def autoencoder_recipe(params: Params, data: dict) -> tuple[RecipeResult, list[float]]:
    import torch

    from ...models.autoencoder import train_autoencoder

    r = params.model.recipes
    ae, losses = train_autoencoder(data["train"], r.autoencoder.model_dump() | {"threads": r.threads}, params.seed)
    with torch.no_grad():
        codes = {
            s: ae.code(torch.from_numpy(data[s]).permute(0, 3, 1, 2).float() / 255).numpy() for s in ("train", "test")
        }
    acc = svm_accuracy(codes["train"], data["ytr"], codes["test"], data["yte"], None, r.svm.C)
    return (RecipeResult("Autoencoder", f"conv AE codes (512), MSE, Adam, {r.autoencoder.epochs} epochs, linear SVM",
                         "test accuracy", acc), losses)


def run(params: Params, progress: bool = True) -> None:
    from ...models.softmax_head import train_softmax_head

    r, data = params.model.recipes, load_subsample(params)
    F, meta, timings = extract(params, data, progress)
    results = feature_recipes(params, F, data["ytr"], data["yte"])
    history = train_softmax_head(F["train"]["global"], data["ytr"], F["test"]["global"], data["yte"], 10,
                                 r.finetune.model_dump() | {"threads": r.threads}, params.seed)
    results.append(RecipeResult("Fine-tuning", f"new softmax head on -2, SGD lr {r.finetune.lr}, batch "
                                f"{r.finetune.batch_size}, {r.finetune.epochs} epochs (frozen base)", "test accuracy",
                                history[-1]["val_accuracy"]))
    t0 = time.perf_counter()
    ae_result, ae_losses = autoencoder_recipe(params, data)
    results.append(ae_result)
    timings["autoencoder"] = round(time.perf_counter() - t0, 2)
    results = [replace(row, mean=round(row.mean, 6), std=None if row.std is None else round(row.std, 6))
               for row in results]
    for row in results:
        print(f"{row.recipe}: {100 * row.mean:.2f} % ({row.metric})")
    record = RecipesRecords(
        results=results, finetune_history=history, autoencoder_loss=[round(x, 6) for x in ae_losses],
        n_train=len(data["ytr"]), n_test=len(data["yte"]), fraction=params.settings.recipes.fraction,
        backbone=params.settings.recipes.backbone, seed=params.seed, weights_id=meta["weights_id"],
        preprocessing=meta["preprocessing_text"], profile=params.profile, synthetic=params.settings.synthetic,
        versions=library_versions())
    write_json(params.resolve_path(paths.RECIPES_RESULTS), record.as_dict())
    write_json(params.resolve_path(paths.RECIPES_TIMING), {"recipes": timings, "versions": library_versions()})


if __name__ == "__main__":
    raise SystemExit(main(run))
