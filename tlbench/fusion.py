"""Seed Table 7: a backbone adapted on Fruits-360 describes Supermarket Produce with its global
(pre-prediction) descriptor alone or fused with a local one (block 1, 2 or 3), PCA, linear SVM.
Stages: finetune -> fusion_extract -> fusion_evaluate -> fusion_report."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler, normalize
from sklearn.svm import SVC

from .config import Params
from .errors import TlbenchError
from .io import atomic_dir, atomic_write_text, git_commit, library_versions, load_features, load_meta, read_jsonl, write_json, write_jsonl

CHECKPOINT = Path("data/models/finetune.pt")
WORK = Path("data/work/finetune.partial.pt")
HISTORY = Path("reports/metrics/finetune_history.jsonl")
FEATURES = Path("data/features/fusion")
RESULTS = Path("reports/metrics/fusion.jsonl")
COLUMNS = ("global", "block1", "block2", "block3")  # Table 7's columns: global alone, or fused with a block


def finetune_config(params: Params) -> dict:
    cfg = dict(params.get("finetune")) | dict(params.profile_get("finetune"))
    cfg["backbone"] = params.profile_get("finetune.backbone")
    cfg["seed"] = params.seed
    cfg["source_name"] = "Fruits-360"
    ex = params.get("extract")
    cfg["device"], cfg["resize"] = ex["device"], ex["resize"]
    cfg["weights"] = (ex.get("weights") or {}).get(cfg["backbone"], "auto")
    cfg["allow_download"] = ex["allow_download"]
    return cfg


def stage_finetune(params: Params, progress: bool = True) -> list[dict]:
    from .catalog import dataset_root, require
    from .datasets import Fruits360
    from .finetune import finetune

    require(params, ["fruits360"])
    ds = Fruits360.load(dataset_root(params, "fruits360"))
    history = finetune(ds.train.samples, ds.test.samples, ds.train.classes, finetune_config(params),
                       params.resolve_path(CHECKPOINT), params.resolve_path(WORK), progress=progress)
    write_jsonl(params.resolve_path(HISTORY), history)
    plot_history(history, params.resolve_path(params.get("report.figures_dir")) / "finetune_curves")
    return history


def plot_history(history: list[dict], stem: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .report import save_figure

    epochs = [h["epoch"] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    for split in ("train", "val"):
        name = "held-out" if split == "val" else split
        a.plot(epochs, [h[f"{split}_loss"] for h in history], marker="o", label=name)
        b.plot(epochs, [100 * h[f"{split}_accuracy"] for h in history], marker="o", label=name)
    a.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    b.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (a, b):
        ax.grid(alpha=0.3)
        ax.legend()
    return save_figure(fig, stem)


def stage_extract(params: Params, progress: bool = True) -> None:
    from .catalog import dataset_root, require
    from .datasets import load_supermarket
    from .extract import engine_options, extract_features
    from .finetune import load_finetuned
    from .registry import backbone

    require(params, ["supermarket"])
    ds = load_supermarket(dataset_root(params, "supermarket"))
    name = params.profile_get("finetune.backbone")
    model, state = load_finetuned(params.resolve_path(CHECKPOINT), name)
    spec = backbone(name)
    layers = [spec.layer(-2)] + [spec.layer(f"block{k}") for k in (1, 2, 3)]
    mode = params.get("fusion.pooling")
    with atomic_dir(params.resolve_path(FEATURES)) as tmp:
        result = extract_features(
            ds.paths, name, [l.node for l in layers], tmp / "supermarket", model=model, weights_id=state["weights_id"],
            **(engine_options(params.get("extract"), name) | {"weights": None}), progress=progress, pooling={l.node: mode for l in layers[1:]},
            extra_meta={"columns": {"global": layers[0].node, **{f"block{k}": layers[k].node for k in (1, 2, 3)}}})
        np.save(tmp / "supermarket" / "labels.npy", ds.labels)
        write_json(tmp / "supermarket" / "classes.json", ds.classes)
    print(f"supermarket: {result.n_images} images, {result.images_per_second:.1f} images/s")


def align(train: np.ndarray, test: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Bring one descriptor to a common scale so that neither dominates the concatenation."""
    if how == "standardize":
        scaler = StandardScaler().fit(train)
        return scaler.transform(train), scaler.transform(test)
    if how == "l2":
        return normalize(train), normalize(test)
    raise TlbenchError(f"fusion.align {how!r}: use standardize or l2")


def evaluate_column(descriptors: list[np.ndarray], y: np.ndarray, train: np.ndarray, test: np.ndarray,
                    n_components: list[int], how: str, C: float, seed: int) -> dict[int, float]:
    parts = [align(d[train], d[test], how) for d in descriptors]
    Xtr = np.hstack([p[0] for p in parts])
    Xte = np.hstack([p[1] for p in parts])
    out = {}
    for n in n_components:
        if n > min(Xtr.shape):
            raise TlbenchError(f"PCA to {n} features needs at least {n} training images and features, the split has "
                               f"{Xtr.shape[0]} x {Xtr.shape[1]}: lower fusion.n_components or the test share")
        pca = PCA(n, random_state=seed).fit(Xtr)
        clf = SVC(kernel="linear", C=C).fit(pca.transform(Xtr), y[train])
        out[n] = float((clf.predict(pca.transform(Xte)) == y[test]).mean())
    return out


def stage_evaluate(params: Params) -> list[dict]:
    d = params.resolve_path(FEATURES / "supermarket")
    meta = load_meta(d)
    y = np.load(d / "labels.npy")
    desc = {col: np.asarray(load_features(d, node), dtype=np.float64) for col, node in meta["columns"].items()}
    f = params.get("fusion")
    test_size = params.profile_get("fusion.test_size")
    rows = []
    for seed in f["seeds"]:
        train, test = train_test_split(np.arange(len(y)), test_size=test_size, stratify=y, random_state=int(seed))
        for col in COLUMNS:
            parts = [desc["global"]] + ([desc[col]] if col != "global" else [])
            scores = evaluate_column(parts, y, train, test, [int(n) for n in f["n_components"]], f["align"],
                                     float(f["svm"]["C"]), int(seed))
            for n, acc in scores.items():
                rows.append({"experiment": "fusion", "profile": params.profile, "column": col, "n_components": n,
                             "split_seed": int(seed), "n_train": len(train), "n_test": len(test),
                             "accuracy": round(acc, 6), "align": f["align"], "pooling": f["pooling"],
                             "C": float(f["svm"]["C"]), "backbone": meta["backbone"], "weights_id": meta["weights_id"],
                             "global_node": meta["columns"]["global"], "local_node": meta["columns"].get(col)})
    write_jsonl(params.resolve_path(RESULTS), rows)
    write_json(params.resolve_path("reports/metrics/fusion_summary.json"), {
        "fusion": {col: {str(n): round(100 * float(np.mean([r["accuracy"] for r in rows if r["column"] == col
                                                                 and r["n_components"] == n])), 4)
                         for n in sorted({r["n_components"] for r in rows}, reverse=True)} for col in COLUMNS},
        "versions": library_versions(), "preprocessing": meta["preprocessing_text"]})
    return rows


COLUMN_LABELS = {"global": "Pre-prediction layer", "block1": "Fusion 1st block", "block2": "Fusion 2nd block",
                 "block3": "Fusion 3rd block"}


def table7_rows(rows: list[dict]) -> tuple[list[list[str]], list[str]]:
    """Body rows (n_components, then ours mean ± std and the seed per column) and the Avg. row."""
    from .paper_values import TABLE7, TABLE7_AVG

    acc = {}
    for r in rows:
        acc.setdefault((r["column"], r["n_components"]), []).append(100 * r["accuracy"])
    sizes = sorted({r["n_components"] for r in rows}, reverse=True)
    body = []
    for n in sizes:
        cells = [str(n)]
        for k, col in enumerate(COLUMNS):
            a = np.array(acc[(col, n)])
            seed = TABLE7.get(n)
            cells += [f"{a.mean():.2f} ± {a.std(ddof=0):.2f}", f"{seed[k]:.2f}" if seed else ""]
        body.append(cells)
    avg = ["Avg."]
    for k, col in enumerate(COLUMNS):
        means = [np.mean(acc[(col, n)]) for n in sizes]
        avg += [f"{np.mean(means):.2f}", f"{TABLE7_AVG[k]:.2f}"]
    return body, avg


def stage_report(params: Params) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .paper_values import TABLE7, TABLE7_SOURCE
    from .report import environment, save_figure

    rows = read_jsonl(params.resolve_path(RESULTS))
    first = rows[0]
    body, avg = table7_rows(rows)
    meta = load_meta(params.resolve_path(FEATURES / "supermarket"))
    seeds = sorted({r["split_seed"] for r in rows})
    caption = (f"Supermarket Produce accuracy (%), mean ± population std over {len(seeds)} stratified splits "
               f"(seeds {', '.join(map(str, seeds))}; {first['n_train']} training / {first['n_test']} test images). "
               f"Features of {first['backbone']}: the pre-prediction layer "
               f"({first['global_node']}) alone or concatenated with a block's output ({first['pooling']} pooled); "
               f"each descriptor {first['align']}d on the training split, then PCA (training split) and a linear SVM "
               f"(C={first['C']:g}). {meta['preprocessing_text']}. Profile {params.profile}, seed {params.seed}, "
               f"commit {git_commit(params.root_dir)}. Seed values: {TABLE7_SOURCE}.")
    context = {"title": "Multi-layer fusion on Supermarket Produce", "seed_ref": "Table 7", "keys": ["Features"],
               "spaces": [COLUMN_LABELS[c] for c in COLUMNS], "rows": body + [avg], "protocol": caption,
               "features": "", "note": "Higher is better", "label": "tab:fusion"}
    tables = params.resolve_path(params.get("report.tables_dir"))
    written = [atomic_write_text(tables / "fusion.tex", environment("tex").get_template("space_table.tex.j2").render(**context)),
               atomic_write_text(tables / "fusion.md", environment("md").get_template("space_table.md.j2").render(**context))]
    fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
    sizes = sorted({r["n_components"] for r in rows})
    for k, col in enumerate(COLUMNS):
        acc = [[100 * r["accuracy"] for r in rows if r["column"] == col and r["n_components"] == n] for n in sizes]
        line = ax.errorbar(sizes, [np.mean(a) for a in acc], yerr=[np.std(a) for a in acc], marker="o", capsize=3,
                           label=f"{COLUMN_LABELS[col]} (ours)")
        ax.plot(sorted(TABLE7), [TABLE7[n][k] for n in sorted(TABLE7)], "--", color=line[0].get_color(), alpha=0.5,
                label=f"{COLUMN_LABELS[col]} (seed)")
    ax.set(xlabel="features after PCA", ylabel="accuracy (%)", xticks=sizes)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    written += save_figure(fig, params.resolve_path(params.get("report.figures_dir")) / "fusion_accuracy")
    return written
