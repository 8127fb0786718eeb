"""Stage ph2_extract: features of every PH2 image for every backbone and layer of the sweep, all
layers of a backbone from one forward pass (seed Table 6)."""
from __future__ import annotations

from ... import paths
from ...data.ph2 import PH2
from ...io import atomic_dir, write_json
from ...params import Params
from ..stage import main


def load_ph2(params: Params) -> PH2:
    return PH2.load(params.dataset_root("ph2"), expect_full=params.settings.official_counts)


def _unaugmented(done: dict, name: str, tta: tuple, layers: list):
    """For a TTA sweep, the folder of a sweep of this backbone without TTA already written that holds its
    layers: its features stand for the images' own forward pass (the same bits, one pass fewer)."""
    return next((folder for folder, (other, other_tta, other_layers) in done.items()
                 if tta and other == name and not other_tta and set(layers) <= set(other_layers)), None)


def run(params: Params, progress: bool = True) -> str:
    from ...models.backbones import resolve_weights
    from ...models.extract import EngineOptions, extract_features
    from ...models.specs import backbone

    ds = load_ph2(params)  # fails in seconds on a broken or missing dataset
    cfg, models = params.model.extract, params.ph2_models()
    for name in dict.fromkeys(m[1] for m in models):  # every weights file must be there before the first forward pass
        resolve_weights(backbone(name), cfg.weights.get(name), cfg.allow_download)
    timing = {}
    with atomic_dir(params.resolve_path(paths.PH2_FEATURES)) as tmp:
        write_json(tmp / "index.json", {"dataset": "PH2", "profile": params.profile, "ids": ds.ids,
                                        "clinical_diagnosis": ds.labels.tolist()})
        done = {}  # folder: (backbone, TTA views, layers)
        for key, name, tta, beyond in models:
            layers = list(dict.fromkeys([*params.ph2_layers(beyond), -1]))  # -1: the ImageNet head, for LEEP
            result = extract_features(ds.image_paths, name, layers, tmp / key, progress=progress,
                                      unaugmented=_unaugmented(done, name, tta, layers),
                                      **vars(EngineOptions.from_params(params, name, tta=tta)))
            done[tmp / key] = (name, tta, layers)
            timing[key] = {"images": result.n_images, "seconds": round(result.seconds, 3),
                           "images_per_second": round(result.images_per_second, 2),
                           "first_batch_unix": result.first_batch_unix}
            print(
                f"{key}: {result.n_images} images in {result.seconds:.1f} s ({result.images_per_second:.1f} images/s)"
            )
    write_json(params.resolve_path(paths.PH2_TIMING), {"ph2_extract": timing})
    return ", ".join(f"{k} {v['images_per_second']:.1f}/s" for k, v in timing.items())


if __name__ == "__main__":
    raise SystemExit(main(run))
