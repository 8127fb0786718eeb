"""Stage anomaly_extract@SCENE: one descriptor per frame of a scene's training and test frames,
with the frames' anomaly labels and clip ids (seed Tables 1-5)."""
from __future__ import annotations

import numpy as np

from ... import paths
from ...data import ucsd, york  # noqa: F401 (each registers its scenes' loaders)
from ...data.registry import SCENES
from ...io import atomic_dir
from ...params import Params
from ..stage import main


def scene_splits(params: Params, scene: str) -> dict[str, dict]:
    """{split: {source, labels, groups}} from the module of the scene's dataset."""
    return SCENES.impl(scene)(params, scene)


def run(params: Params, scene: str, progress: bool = True) -> None:
    from ...models.extract import EngineOptions, extract_features

    SCENES[scene]  # an unknown name fails here, with the valid ones
    splits = scene_splits(params, scene)
    a, name = params.model.anomaly, params.settings.anomaly_backbone
    nodes = params.anomaly_nodes()
    with atomic_dir(params.resolve_path(paths.ANOMALY_FEATURES / scene)) as tmp:
        for split, data in splits.items():
            result = extract_features(
                data["source"], name, nodes, tmp / split, progress=progress,
                extra_meta={"scene": scene, "split": split},
                pooling={nodes[0]: a.pooling} if a.pooling else None,
                dtypes={node: a.beyond.patch_dtype for node in nodes[1:]},
                **vars(EngineOptions.from_params(params, name)))
            np.save(tmp / split / "labels.npy", data["labels"])
            np.save(tmp / split / "groups.npy", data["groups"])
            print(f"{scene} {split}: {result.n_images} frames, {int(data['labels'].sum())} anomalous, "
                  f"{result.images_per_second:.1f} frames/s")


if __name__ == "__main__":
    raise SystemExit(main(run))
