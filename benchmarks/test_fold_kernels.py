"""ph2_evaluate's cost is the fold kernels: each of 40 folds (paper KFold and StratifiedKFold on the clinical
diagnosis, both shared by the two tasks) z-scores every feature with its own training rows, so each needs its own
n x n product over all D features. Ratio in one run against the straightforward way (a StandardScaler per
fold, then the float64 product), on a ResNet50-map-sized layer of 200 x 100,352 features, a fifth of them
dead ReLU units.
Measured here (2 cores, OpenBLAS Haswell kernels): see reports/MEASUREMENTS.md."""
import time

import numpy as np
import pytest
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler

N, D = 200, 100_352


@pytest.fixture(scope="module")
def layer():
    rng = np.random.default_rng(0)
    X = np.maximum(rng.normal(size=(N, D)).astype(np.float32), 0)
    X[:, : D // 5] = 0  # dead units: constant on every row
    y = np.repeat([0, 1, 2], [80, 80, 40])
    splits = list(KFold(20).split(X))
    splits += list(StratifiedKFold(20, shuffle=True, random_state=0).split(X, y))
    return X, y, splits


def _per_fold_float64(X, splits) -> list[np.ndarray]:
    out = []
    for train, _ in splits:
        Z = StandardScaler().fit(X[train].astype(np.float64)).transform(X.astype(np.float64))
        out.append(Z @ Z.T)
    return out


def test_fold_kernels_are_3x_the_per_fold_float64_products(benchmark, layer):
    from tlbench.methods.fold_kernels import FoldKernels

    X, _, splits = layer
    start = time.perf_counter()
    reference = _per_fold_float64(X, splits[:6])  # 6 of the 40 folds, scaled up: the same work per fold
    straightforward = (time.perf_counter() - start) * len(splits) / 6
    kernels = benchmark.pedantic(FoldKernels, args=(X, splits), rounds=1, iterations=1)
    ratio = straightforward / benchmark.stats.stats.median
    print(f"\nfold kernels, {len(splits)} folds x {N} x {D:,}: {benchmark.stats.stats.median:.1f} s, "
          f"{ratio:.1f}x the per-fold float64 way ({straightforward:.1f} s)")
    for (train, _), K in zip(splits, reference):
        np.testing.assert_allclose(kernels[train], K, rtol=0, atol=1e-6 * np.abs(K).max())
    assert ratio >= 3.0


def test_a_layer_s_cv_is_its_fold_kernels_and_little_more(benchmark, layer):
    """One ResNet50-map-sized layer through the whole 20-fold CV (2 tasks x 2 protocols x 20 linear SVMs on
    the shared fold kernels): the SVMs and bookkeeping add at most half the kernels' time, so the stage's
    time on real PH2 is the kernels' (linear in the features swept; reports/MEASUREMENTS.md)."""
    from tlbench.methods.fold_kernels import FoldKernels
    from tlbench.methods.protocols import cross_validate, ph2_splits, task_labels

    X, clinical, _ = layer
    splits = ph2_splits(["paper", "stratified"], clinical, 20, seed=0)
    start = time.perf_counter()
    FoldKernels(X, splits["paper"] + splits["stratified"])
    kernels_only = time.perf_counter() - start

    def whole_layer():
        kernels = FoldKernels(X, splits["paper"] + splits["stratified"])
        return [cross_validate(X, task_labels(task, clinical), folds, 1.0, True, kernels)
                for task in ("three_class", "melanoma_vs_rest") for folds in splits.values()]

    benchmark.pedantic(whole_layer, rounds=1, iterations=1)
    whole = benchmark.stats.stats.median
    print(f"\none layer of {D:,} features: kernels {kernels_only:.1f} s, the whole CV {whole:.1f} s "
          f"({whole / kernels_only:.2f}x)")
    assert whole <= 1.5 * kernels_only


def _paper_sweeps() -> tuple:
    """(params of the paper profile, [(sweep, Layer)] of every layer its PH2 sweeps evaluate)."""
    from pathlib import Path

    import yaml

    from tlbench.experiments.ph2.evaluate import swept
    from tlbench.models.specs import backbone
    from tlbench.params import Params

    root = Path(__file__).resolve().parents[1]
    params = Params.from_dict(yaml.safe_load((root / "params.yaml").read_text()) | {"profile": "paper"},
                              root / "params.yaml")
    layers = []
    for key, name, _, beyond in params.ph2_models():
        meta = {"layers": [{"index": l.index, "node": l.node} for l in backbone(name).layers]}
        layers += [(key, backbone(name).layer(l["index"])) for l in swept(params, meta, beyond)]
    return params, layers


def test_the_paper_profile_s_ph2_evaluate_work_on_real_sized_layers(benchmark):
    """Issue 23, goal 2 at real size: every layer of the paper profile's PH2 sweeps through ph2_evaluate's own
    per-layer work (the 40 fold kernels, 2 tasks x 2 protocols x 20 SVMs, the layer measures) under the
    stage's thread limit, as `fan_out` runs it: the seed's Table 6 sweeps (VGG-19 and ResNet50 layers -2..-7,
    0.66 M features of 200 images) must take at most 30 s; the sweeps beyond the seed (Lite1, Lite2, Lite2 +
    TTA, 0.80 M more) are timed beside them. Synthetic features (ReLU of Gaussians plus a class signal, every
    unit alive: the most work) are drawn outside the timing. The stage adds its imports (~2 s) and reading
    the .npy files. Numbers: reports/MEASUREMENTS.md."""
    from tlbench.experiments.ph2.evaluate import layer_measures, layer_rows
    from tlbench.scale import thread_limits

    params, layers = _paper_sweeps()
    clinical = np.repeat([0, 1, 2], [80, 80, 40])  # PH2: common nevus, atypical nevus, melanoma
    rng = np.random.default_rng(0)
    features = []
    for _, layer in layers:
        X = rng.standard_normal((N, layer.n_features), dtype=np.float32)
        X[:, : layer.n_features // 10] += 0.5 * clinical[:, None].astype(np.float32)
        features.append(np.maximum(X, 0, out=X))
    meta, seconds = {"weights_id": "synthetic", "precision": "fp32"}, {}

    def every_layer():
        with thread_limits(params.model.extract.job_threads):
            for (key, layer), X in zip(layers, features):
                start = time.perf_counter()
                entry = {"index": layer.index, "node": layer.node, "keras_name": layer.keras_name,
                         "n_features": layer.n_features}
                layer_rows(params, key, entry, meta, X, clinical)
                layer_measures(params, X, clinical)
                seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - start

    benchmark.pedantic(every_layer, rounds=1, iterations=1)
    seed = [key for key, _, _, beyond in params.ph2_models() if not beyond]
    table6 = sum(seconds[key] for key in seed)
    features_of = {key: sum(l.n_features for k, l in layers if k == key) for key in seconds}
    benchmark.extra_info.update(table6_s=round(table6, 1), all_sweeps_s=round(sum(seconds.values()), 1),
                                per_sweep={key: [features_of[key], round(t, 1)] for key, t in seconds.items()})
    print("\n" + "\n".join(f"{key}: {features_of[key]:,} features, {t:.1f} s" for key, t in seconds.items()))
    print(f"Table 6 sweeps ({', '.join(seed)}): {table6:.1f} s; every sweep: {sum(seconds.values()):.1f} s")
    assert table6 <= 30.0
