"""Stage fusion_extract: every Supermarket Produce image described by the adapted network's
pre-prediction layer and its 1st/2nd/3rd block outputs, pooled in the engine (seed Table 7)."""
from __future__ import annotations

import numpy as np

from ... import paths
from ...data.supermarket import load_supermarket
from ...io import atomic_dir, write_json
from ...params import Params
from ..stage import main


def run(params: Params, progress: bool = True) -> None:
    from ...models.extract import EngineOptions, extract_features
    from ...models.finetune import load_finetuned
    from ...models.specs import backbone

    ds = load_supermarket(params.dataset_root("supermarket"))
    name = params.settings.finetune.backbone
    model, state = load_finetuned(params.resolve_path(paths.FINETUNE_MODEL), name)
    spec = backbone(name)
    layers = [spec.layer(-2)] + [spec.layer(f"block{k}") for k in (1, 2, 3)]
    options = EngineOptions.from_params(params, name, weights=None)
    with atomic_dir(params.resolve_path(paths.FUSION_FEATURES)) as tmp:
        result = extract_features(
            ds.paths, name, [l.node for l in layers], tmp / "supermarket", model=model, weights_id=state["weights_id"],
            progress=progress, pooling={l.node: params.model.fusion.pooling for l in layers[1:]}, **vars(options),
            extra_meta={"columns": {"global": layers[0].node, **{f"block{k}": layers[k].node for k in (1, 2, 3)}}})
        np.save(tmp / "supermarket" / "labels.npy", ds.labels)
        write_json(tmp / "supermarket" / "classes.json", ds.classes)
    print(f"supermarket: {result.n_images} images, {result.images_per_second:.1f} images/s")


if __name__ == "__main__":
    raise SystemExit(main(run))
