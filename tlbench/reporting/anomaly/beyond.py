"""The tables of anomaly.beyond's variants (beyond the seed): per space, EER and CDFG beside the seed's detector."""
from __future__ import annotations

from itertools import combinations

from ...methods.registry import ANOMALY_VARIANTS, MEASURES, SPACES
from ..captions import BEYOND_MARK, math_label
from ..render import Column, Section, Table, join, table_ref
from .common import fmt_value, label, pair_order


def variants_of(beyond: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["variant"] for r in beyond))


def variant_risks(beyond: list[dict], spaces: list[str], smoothed: bool = False) -> dict[str, dict[str, dict]]:
    """{variant: {space: {(source, target): EER}}}, before or after smoothing."""
    return {v: {sp: {(r["source"], r["target"]): r["smoothed"]["eer"] if smoothed else r["eer"]
                     for r in beyond if r["variant"] == v and r["space"] == sp} for sp in spaces}
            for v in variants_of(beyond)}


def _bank_text(knn: dict) -> str:
    share = isinstance(knn["bank_size"], float)
    size = f"{knn['bank_size']:.0%} of the training patches" if share else f"{knn['bank_size']:,} patches"
    if knn["bank"] != "coreset":
        return f"random, {size}"
    return f"greedy coreset, {size}" + (f", {knn['projection_dim']}-d projection" if knn["projection_dim"] else "")


def _knn_text(knn: dict) -> str:
    if knn["position"] == "aware":
        around = f" and the {(2 * knn['neighbourhood'] + 1) ** 2 - 1} around it" if knn["neighbourhood"] else ""
        where = f"each cell against the same cell{around} of the normal frames"
    else:
        where = f"every cell against one bank of normal patches ({_bank_text(knn)})"
    frame = "its worst cell" if knn["aggregate"] == "max" else f"the mean of its {knn['top_cells']} worst cells"
    return f"{where}, distance to the k = {knn['k']} nearest; a frame scores as {frame}"


def beyond_text(settings: dict) -> str:
    """The protocol of the variants, for the captions."""
    b, parts = settings["beyond"], []
    if "patch_layer" in settings:
        layer = settings["patch_layer"]
        channels, cells = layer["shape"][0], layer["n_features"] // layer["shape"][0]
        parts.append(f"{ANOMALY_VARIANTS.label('patch_knn')}: the {cells} cells of layer {layer['node']} "
                     f"({channels} values each), {_knn_text(b['patch_knn'])}")
    if "motion" in settings:
        parts.append(f"{ANOMALY_VARIANTS.label('motion')}: {settings['motion']}; {_knn_text(b['motion_knn'])}")
    if "appearance_motion" in b["variants"]:
        parts.append(
            f"{ANOMALY_VARIANTS.label('appearance_motion')}: the two scores, each standardised with its mean and "
            f"std on held-out normal training frames, weighted {b['weights']['patch_knn']:g} and "
            f"{b['weights']['motion']:g} and summed"
        )
    return (f"{BEYOND_MARK} Beyond the seed (anomaly.beyond), the same detector and settings for every domain: " +
            "; ".join(parts) + f". Detectors are fitted on the source's training frames without the last "
            f"{b['held_out']:.0%} of each clip (held out for the standardisation); spaces are fitted on patches "
            f"(components capped at the patch's dimension). Smoothing where stated: {b['smoothing']['kind']} over "
            f"{b['smoothing']['window']} frames within clips.")


def _cdfg_cells(risk: dict, scenes: list[str]) -> dict[str, dict[tuple, float]]:
    """{measure: {pair: value}} of one EER table: the EER itself, G_part per direction, G_comp per pair."""
    g_part, g_comp = MEASURES.impl("g_part"), MEASURES.impl("g_comp")
    return {"eer": risk, "g_part": {(s, t): g_part(risk, s, t) for s, t in pair_order(scenes) if s != t},
            "g_comp": {(a, b): g_comp(risk, a, b) for a, b in combinations(scenes, 2)}}


def beyond_table(rows: list[dict], beyond: list[dict], scenes: list[str], space: str, caption, methods) -> list[Table]:
    """One space's EER table and its CDFG table (sections G_part and G_comp): the seed's detector (ours) beside
    each variant before and after smoothing (the CDFG measures of the smoothed EERs in the smoothed columns)."""
    seed = _cdfg_cells({(r["source"], r["target"]): r["eer"] for r in rows if r["space"] == space}, scenes)
    raw, smooth = variant_risks(beyond, [space]), variant_risks(beyond, [space], smoothed=True)
    parts = [seed] + [
        c for v in raw for c in (_cdfg_cells(raw[v][space], scenes), _cdfg_cells(smooth[v][space], scenes))
    ]
    sections = {
        "eer": ("EER (%)", pair_order(scenes)),
        "g_part": (
            join(math_label(MEASURES["g_part"].label), "(source, target)"),
            [p for p in pair_order(scenes) if p[0] != p[1]],
        ),
        "g_comp": (join(math_label(MEASURES["g_comp"].label), "(dataset A, dataset B)"), list(combinations(scenes, 2))),
    }
    body = []
    for measure, (title, keys) in sections.items():
        body.append(Section(title))
        body += [[label(a), label(b)] + [fmt_value(part[measure][(a, b)]) for part in parts] for a, b in keys]
    columns = [Column("Source / A", "l"), Column("Target / B", "l"), Column("seed")]
    columns += [c for v in raw for c in (Column("raw", group=ANOMALY_VARIANTS.label(v) + BEYOND_MARK),
                                         Column("sm.", group=ANOMALY_VARIANTS.label(v) + BEYOND_MARK))]
    eer_rows, cdfg_rows = body[1:1 + len(sections["eer"][1])], body[1 + len(sections["eer"][1]):]
    return [Table(f"anomaly_beyond_{space}", f"Beyond the seed, {SPACES.label(space)} space: EER (%)", caption,
                  [Column("Source", "l"), Column("Target", "l")] + columns[2:], eer_rows, wide=True, methods=methods),
            Table(f"anomaly_beyond_{space}_cdfg", f"Beyond the seed, {SPACES.label(space)} space: CDFG (EER points)",
                  caption, [Column("Source / A", "l"), Column("Target / B", "l")] + columns[2:], cdfg_rows, wide=True,
                  methods=methods)]


def beyond_tables(
    rows: list[dict], beyond: list[dict], scenes: list[str], spaces: list[str], context: dict
) -> list[Table]:
    """Per space, an EER and a CDFG table: the seed's detector beside anomaly.beyond's variants (Table 1 keeps
    the seed's width; one table of both ran past a page)."""
    caption = join("Lower is better. seed: the seed's detector, as in", table_ref("anomaly_eer") + " (ours); raw and "
                   "sm.: each variant's scores before and after smoothing (variants beyond the seed: †).",
                   context["data"] + ".")
    methods = join(beyond_text(context["beyond"]), f"Frame features: {context['preprocessing']}.")
    return [t for space in spaces for t in beyond_table(rows, beyond, scenes, space, caption, methods)]
