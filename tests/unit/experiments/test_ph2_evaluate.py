"""ph2_evaluate's wiring: the tasks of a layer share its folds, hence its fold kernels."""
from pathlib import Path

import numpy as np
import yaml

import tlbench.methods.fold_kernels as fold_kernels
from tlbench.experiments.ph2.evaluate import layer_rows
from tlbench.params import Params

REPO = Path(__file__).resolve().parents[3]


def test_both_tasks_use_one_kernel_per_fold(monkeypatch):
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["ph2"]["n_folds"] = 5
    params = Params.from_dict(raw, REPO / "params.yaml")
    built = []
    real = fold_kernels.FoldKernels

    class Counting(real):
        def __init__(self, X, splits, standardize=True, chunk=8192):
            super().__init__(X, splits, standardize, chunk)
            built.append(len(self._kernels))

    monkeypatch.setattr(fold_kernels, "FoldKernels", Counting)
    clinical = np.tile([0, 0, 1, 1, 2], 10)  # every unshuffled fold holds each class
    X = np.random.default_rng(0).normal(size=(50, 30)).astype(np.float32) + clinical[:, None]
    layer = {"index": -2, "node": "pool", "keras_name": "avg_pool", "n_features": 30}
    rows = layer_rows(params, "net", layer, {"weights_id": "w", "precision": "fp32"}, X, clinical)
    assert built == [10]  # 5 unshuffled + 5 stratified folds, for both tasks
    assert {(r.task, r.protocol) for r in rows} == {(t, p) for t in params.model.ph2.tasks
                                                   for p in params.model.ph2.protocols}
    assert len(rows) == 5 * 4
