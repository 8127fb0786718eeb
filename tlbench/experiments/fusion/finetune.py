"""Stage fusion_finetune: the profile's backbone adapted on Fruits-360 (the seed's "frozen layers" or
"propagation"), resumable; loss and accuracy per epoch."""
from __future__ import annotations

from ... import paths
from ...data.fruits360 import Fruits360
from ...io import write_csv, write_json
from ...params import Params
from ..stage import main


def finetune_config(params: Params) -> dict:
    ex, profile_ft = params.model.extract, params.settings.finetune
    cfg = params.model.finetune.model_dump() | profile_ft.model_dump()
    return cfg | {"seed": params.seed, "source_name": "Fruits-360", "device": ex.device, "resize": ex.resize,
                  "weights": ex.weights.get(profile_ft.backbone, "auto"), "allow_download": ex.allow_download}


def run(params: Params, progress: bool = True) -> None:
    from ...models.finetune import finetune

    ds = Fruits360.load(params.dataset_root("fruits360"))
    history, seconds = finetune(ds.train.samples, ds.test.samples, ds.train.classes, finetune_config(params),
                       params.resolve_path(paths.FINETUNE_MODEL), params.resolve_path(paths.FINETUNE_WORK),
                       progress=progress)
    columns = ["epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr"]
    write_csv(params.resolve_path(paths.FINETUNE_HISTORY), columns, ([h[c] for c in columns] for h in history))
    write_json(params.resolve_path(paths.TIMINGS / "fusion_finetune_epochs.json"), {"seconds_per_epoch": seconds})


if __name__ == "__main__":
    raise SystemExit(main(run))
