"""The declared selection protocol of anomaly.beyond's post-processing (methods/selection.py) beside the
configured settings: its tables and metrics (anomaly/beyond_selected/<variant>/<source>-><target>/<space>/eer)."""
from __future__ import annotations

from ...methods.registry import ANOMALY_VARIANTS, SPACES
from ..captions import BEYOND_MARK
from ..render import Column, Section, Table, join


def _label(scene: str) -> str:
    from ...data.registry import SCENES

    return SCENES.label(scene)


def grid_text(grid: dict) -> str:
    from ...methods.selection import smoothings

    n_cells, n_smooth = len(grid["k"]) * len(grid["top_cells"]), len(smoothings(grid["smoothing_kind"], grid["window"]))
    return (f"Grid: k in {{{', '.join(map(str, grid['k']))}}}, a frame scored by its worst cell or the mean of its "
            f"{', '.join(str(t) for t in grid['top_cells'] if t > 1)} worst, smoothing "
            f"{', '.join(grid['smoothing_kind'])} over {', '.join(str(w) for w in grid['window'] if w > 1)} frames or "
            f"none ({n_cells * n_smooth} settings per descriptor); the fusion keeps each descriptor's selected k and "
            f"cells and chooses motion's weight in {{{', '.join(f'{s:g}' for s in grid['motion_share'])}}} and the "
            f"smoothing.")


def protocol_text() -> str:
    return ("LOSO: for each target, the setting with the lowest mean in-domain EER (S → S) over the other scenes, "
            "never the target's test labels; configured: params.yaml's settings, smoothed. Lower is better.")


def _in_domain(rows: list[dict], variant: str, space: str, target: str) -> dict:
    return next(
        r for r in rows if r["variant"] == variant and r["space"] == space and r["source"] == r["target"] == target
    )


def selection_tables(
    selection: dict, beyond: list[dict], scenes: list[str], spaces: list[str], data: str
) -> list[Table]:
    """In-domain EER under the configured and the selected settings, and the settings selected."""
    rows = selection["rows"]
    if not rows:
        return []
    configured = {
        (r["variant"], r["space"], r["target"]): r["smoothed"]["eer"] for r in beyond if r["source"] == r["target"]
    }
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    eers, chosen = [], []
    for variant in variants:
        title = Section(ANOMALY_VARIANTS.label(variant) + BEYOND_MARK)
        eers.append(title)
        chosen.append(title)
        for t in scenes:
            picked = [_in_domain(rows, variant, sp, t) for sp in spaces]
            eers.append([_label(t)] + [c for sp, r in zip(spaces, picked)
                                       for c in (f"{configured[(variant, sp, t)]:.2f}", f"{r['eer']:.2f}")])
            chosen.append([_label(t)] + [r["setting_text"] for r in picked])
    caption = join(protocol_text(), data)
    eer_columns = [Column("Target", "l")] + [c for sp in spaces for c in (Column("conf.", group=SPACES.label(sp)),
                                                                         Column("LOSO", group=SPACES.label(sp)))]
    return [Table("anomaly_beyond_selection", "Beyond the seed: in-domain EER (%), configured settings vs "
                  "leave-one-scene-out selection", caption, eer_columns, eers, wide=True,
                  methods=grid_text(selection["grid"])),
            Table("anomaly_beyond_selected_settings", "Beyond the seed: the post-processing selected "
                  "per target by leave one scene out", join(protocol_text(), data),
                  [Column("Target", "l")] + [Column(SPACES.label(sp), r"p{0.26\linewidth}") for sp in spaces], chosen,
                  wide=True, methods=grid_text(selection["grid"]))]


def selection_metrics(selection: dict) -> dict[str, float]:
    return {f"anomaly/beyond_selected/{r['variant']}/{r['source']}->{r['target']}/{r['space']}/eer": r["eer"]
            for r in selection["rows"]}
