"""Video anomaly detection across domains (seed Tables 1-5): stages anomaly-extract SCENE ->
anomaly-evaluate SOURCE TARGET -> anomaly-report."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .algorithms import Detector, Space
from .config import Params
from .errors import TlbenchError
from .io import atomic_dir, library_versions, load_features, load_meta, read_json, write_json
from .metrics import eer, smooth_scores
from .registry import SCENES, check_scene  # noqa: F401 (SCENES re-exported)
FEATURES_DIR = Path("data/features/anomaly")
SCORES_DIR = Path("data/anomaly_scores")
METRICS_DIR = Path("reports/metrics/anomaly")


def scene_splits(params: Params, name: str) -> dict[str, dict]:
    """For each split: an image source, per-frame anomaly labels and clip ids."""
    from . import video
    from .catalog import dataset_root, york_protocol
    from .extract import VideoFrames

    key, _ = SCENES[check_scene(name)]
    root = dataset_root(params, key)
    stride = int(params.get("anomaly.train_stride"))
    if key == "ucsd":
        scene = video.load_ucsd(root, name)
        out = {}
        for split in ("train", "test"):
            clips = scene.split(split)
            if not clips:
                raise TlbenchError(f"{scene.root}: no {split} clips found: re-extract the archive")
            frames, labels, groups = [], [], []
            for c, clip in enumerate(clips):
                keep = slice(None, None, stride if split == "train" else 1)
                frames += clip.frames[keep]
                labels += list(np.zeros(len(clip), bool)[keep] if clip.anomalous is None else clip.anomalous[keep])
                groups += [c] * len(clip.frames[keep])
            out[split] = {"source": frames, "labels": np.array(labels), "groups": np.array(groups)}
        return out
    scene = video.load_york(root, name)
    proto = york_protocol(params, name, scene.n_frames)
    train = range(proto["train"][0], min(proto["train"][1], scene.n_frames), stride)
    test = range(*proto["test"])
    if proto["test"][1] > scene.n_frames:
        raise TlbenchError(f"{scene.video} has {scene.n_frames} frames, the protocol tests up to frame "
                           f"{proto['test'][1] - 1}: check profiles.{params.profile}.york_protocol.{name}")
    return {
        "train": {"source": VideoFrames(scene.video, train), "labels": np.zeros(len(train), bool),
                  "groups": np.zeros(len(train), int)},
        "test": {"source": VideoFrames(scene.video, test), "labels": scene.anomalous(*proto["test"]),
                 "groups": np.zeros(len(test), int)},
    }


def stage_extract(params: Params, scene: str, progress: bool = True) -> None:
    from .catalog import require
    from .extract import engine_options, extract_features

    key, _ = SCENES[check_scene(scene)]
    require(params, [f"{key}_{scene}"])
    splits = scene_splits(params, scene)
    cfg = params.get("extract")
    name = params.profile_get("anomaly_backbone")
    from .registry import backbone

    layer = backbone(name).layer(params.get("anomaly.layer"))
    with atomic_dir(params.resolve_path(FEATURES_DIR / scene)) as tmp:
        for split, data in splits.items():
            result = extract_features(
                data["source"], name, [layer.node], tmp / split,
                **engine_options(cfg, name), progress=progress, extra_meta={"scene": scene, "split": split},
                pooling={layer.node: params.get("anomaly.pooling")} if params.get("anomaly.pooling") else None,
            )
            np.save(tmp / split / "labels.npy", data["labels"])
            np.save(tmp / split / "groups.npy", data["groups"])
            print(f"{scene} {split}: {result.n_images} frames, {int(data['labels'].sum())} anomalous, "
                  f"{result.images_per_second:.1f} frames/s")


def load_split(params: Params, scene: str, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    d = params.resolve_path(FEATURES_DIR / scene / split)
    meta = load_meta(d)
    X = np.asarray(load_features(d, meta["layers"][0]["node"]), dtype=np.float64)
    if not np.isfinite(X).all():
        raise TlbenchError(f"{d}: features contain NaN or inf: re-run `dvc repro anomaly_extract@{scene}` in fp32")
    return X, np.load(d / "labels.npy"), np.load(d / "groups.npy"), meta


def _subsample(X: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return X if len(X) <= n else X[np.sort(rng.choice(len(X), n, replace=False))]


def stage_evaluate(params: Params, source: str, target: str) -> list[dict]:
    check_scene(source), check_scene(target)
    a = params.get("anomaly")
    seed = params.seed
    Xs, _, _, meta = load_split(params, source, "train")
    Xt_train, _, _, meta_t = load_split(params, target, "train")
    Xt, yt, groups, _ = load_split(params, target, "test")
    if Xs.shape[1] != Xt.shape[1]:
        raise TlbenchError(f"{source} has {Xs.shape[1]} features per frame, {target} has {Xt.shape[1]}: "
                           f"extract both scenes with the same backbone and layer (`dvc repro`)")
    tca = {k: v for k, v in a["tca"].items() if k != "max_samples_per_domain"}
    cap = int(a["tca"]["max_samples_per_domain"])
    rows, scores_out = [], {"labels": yt, "groups": groups}
    for space_name in a["spaces"]:
        rng = np.random.default_rng([seed, len(space_name)])
        space = Space(space_name, n_components=int(a["pca"]["n_components"]), tca=tca, seed=seed)
        if space_name == "tca":  # the kernel is n x n: fit on at most `cap` frames per domain
            space.fit(_subsample(Xs, cap, rng), _subsample(Xt_train, cap, rng))
        else:
            space.fit(Xs, Xt_train)
        detector = Detector(random_state=seed, **a["detector"]).fit(space.transform(Xs))
        scores = smooth_scores(detector.score(space.transform(Xt)), groups, int(a["smoothing"]))
        scores_out[space_name] = scores
        try:
            value = 100 * eer(yt, scores)
        except TlbenchError as exc:
            raise TlbenchError(f"{source} -> {target}, {space_name}: {exc}") from None
        rows.append({
            "experiment": "anomaly", "profile": params.profile, "source": source, "target": target,
            "space": space_name, "eer": round(value, 6), "n_train": len(Xs), "n_test": len(Xt),
            "n_anomalous": int(yt.sum()), "distinct_scores": int(len(np.unique(scores))), "backbone": meta["backbone"], "layer": meta["layers"][0]["index"],
            "node": meta["layers"][0]["node"], "weights_id": meta["weights_id"], "precision": meta["precision"],
            "detector": dict(a["detector"]), "pca_components": int(a["pca"]["n_components"]), "tca": dict(a["tca"]),
            "smoothing": int(a["smoothing"]), "seed": seed,
        })
    out = params.resolve_path(METRICS_DIR / f"{source}__{target}.json")
    write_json(out, {"rows": rows, "versions": library_versions(),
                     "preprocessing": meta["preprocessing_text"], "target_preprocessing": meta_t["preprocessing_text"]})
    scores_path = params.resolve_path(SCORES_DIR / f"{source}__{target}.npz")
    scores_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = scores_path.with_name(f".tlbench-tmp-{scores_path.name}")
    np.savez(tmp, **scores_out)
    tmp.replace(scores_path)
    return rows


def load_rows(params: Params) -> list[dict]:
    scenes = params.get("anomaly.scenes")
    rows = []
    for s in scenes:
        for t in scenes:
            path = params.resolve_path(METRICS_DIR / f"{s}__{t}.json")
            if not path.is_file():
                raise TlbenchError(f"{path} not found: run `dvc repro` (stage anomaly_evaluate@{s}-{t})")
            rows += read_json(path)["rows"]
    return rows
