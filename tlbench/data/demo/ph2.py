"""The synthetic PH2 twin, written in the official on-disk layout so that the same loader reads it.
Deterministic from a seed: the same params give byte-identical files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter
from tqdm import tqdm

from ...io import atomic_dir
from ..ph2 import PH2_IMAGES_DIR, PH2_TABLE

# The PH2 colour legend: 1 white, 2 red, 3 light-brown, 4 dark-brown, 5 blue-gray, 6 black.
PH2_COLOURS = {
    1: (236, 230, 226),
    2: (184, 70, 60),
    3: (170, 110, 70),
    4: (95, 55, 35),
    5: (105, 115, 140),
    6: (30, 22, 22),
}

# Per clinical class: asymmetry amplitude, border irregularity amplitude, colour choices,
# and how much of the colour pattern is blotchy rather than concentric. The ranges overlap,
# as the real classes do, so that the task is not trivial.
PH2_CLASS_STYLE = {
    0: dict(asym=(0.00, 0.12), irregular=(0.00, 0.06), colours=((3,), (4,), (3, 4)), blotch=(0.0, 0.35)),
    1: dict(asym=(0.06, 0.22), irregular=(0.03, 0.12), colours=((3, 4), (2, 3, 4), (3, 4, 6)), blotch=(0.2, 0.6)),
    2: dict(
        asym=(0.12, 0.32),
        irregular=(0.07, 0.2),
        colours=((3, 4, 5), (1, 3, 4, 5), (3, 4, 5, 6), (1, 2, 4, 5, 6)),
        blotch=(0.45, 0.9),
    ),
}

PH2_LEGENDS = """Legends for Clinical Diagnosis: 
   0 - Common Nevus;
   1 - Atypical Nevus;
   2 - Melanoma.

Legends for Asymmetry: 
   0 - Fully Symmetric;
   1 - Symetric in 1 axe;
   2 - Fully Asymmetric;

Legends for Pigment Network, Dots/Globules, Streaks, Regression Areas, and Blue-Whitish Veil: 
   A  - Absent;
   AT - Atypical;
   P  - Present;
   T  - Typical.

Legends for Colors: 
   1 - White;
   2 - Red;
   3 - Light-Brown;
   4 - Dark-Brown;
   5 - Blue-Gray;
   6 - Black."""

PH2_HEADER = ("||   Name || Histological Diagnosis || Clinical Diagnosis || Asymmetry | Pigment Network | "
              "Dots/Globules | Streaks | Regression Areas | Blue-Whitish Veil ||           Colors ||")


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    field = gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
    return (field - field.mean()) / (field.std() + 1e-12)


def _draw_hairs(rng: np.random.Generator, img: np.ndarray, width: int, height: int) -> None:
    for _ in range(rng.integers(0, 4)):
        t = np.linspace(0, 1, 400)
        x0, y0 = rng.uniform(0, width), rng.uniform(0, height)
        ang, bend = rng.uniform(0, np.pi), rng.normal(0, 0.6)
        px = (x0 + np.cos(ang + bend * t) * t * width * 0.8).astype(int)
        py = (y0 + np.sin(ang + bend * t) * t * height * 0.8).astype(int)
        ok = (px >= 0) & (px < width) & (py >= 0) & (py < height)
        img[py[ok], px[ok]] = img[py[ok], px[ok]] * 0.3


def _lesion_colours(rng: np.random.Generator, rel: np.ndarray, mask: np.ndarray, colours, blotch: float) -> np.ndarray:
    """Colour zones: concentric for regular lesions, blotchy for irregular ones; darker towards the centre."""
    shape = rel.shape
    zone_field = (1 - blotch) * rel + blotch * 0.35 * _smooth_noise(rng, shape, 12)
    inside = zone_field[mask]
    edges = np.quantile(inside, np.linspace(0, 1, len(colours) + 1)[1:-1]) if inside.size else []
    zone = np.digitize(zone_field, edges)
    palette = np.array([PH2_COLOURS[c] for c in sorted(colours, key=lambda c: sum(PH2_COLOURS[c]))], dtype=np.float64)
    return palette[zone] + 10 * _smooth_noise(rng, shape, 2)[..., None]


def lesion_image(rng: np.random.Generator, clinical: int, width: int, height: int):
    """One dermoscopy-like image, its lesion mask, and the criteria that PH2's table records."""
    style = PH2_CLASS_STYLE[clinical]
    asym = rng.uniform(*style["asym"])
    irregular = rng.uniform(*style["irregular"])
    colours = style["colours"][rng.integers(len(style["colours"]))]
    blotch = rng.uniform(*style["blotch"])

    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    cy = height / 2 + rng.normal(0, height * 0.04)
    cx = width / 2 + rng.normal(0, width * 0.04)
    dy, dx = yy - cy, xx - cx
    theta, dist = np.arctan2(dy, dx), np.hypot(dy, dx)

    radius = min(width, height) * rng.uniform(0.2, 0.3) * (1.15 if clinical == 2 else 1.0)
    shape = (
        1
        + asym * np.cos(theta - rng.uniform(0, 2 * np.pi))
        + 0.5 * asym * np.cos(2 * theta - rng.uniform(0, 2 * np.pi))
    )
    for k in range(3, 16):
        shape += irregular * rng.normal() / np.sqrt(k) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    rel = dist / (radius * np.clip(shape, 0.4, None))  # < 1 inside the lesion
    rel += 0.08 * _smooth_noise(rng, (height, width), 3) * irregular / 0.1
    mask = rel < 1

    skin = np.array([212, 160, 138], dtype=np.float64) + rng.normal(0, 8, 3)
    img = skin + 6 * _smooth_noise(rng, (height, width), 25)[..., None] + rng.normal(0, 3, (height, width, 1))

    lesion = _lesion_colours(rng, rel, mask, colours, blotch)
    softness = 1.5 + 4 * (1 - irregular / 0.2)
    alpha = gaussian_filter(mask.astype(np.float64), softness)[..., None]
    img = alpha * lesion + (1 - alpha) * img

    _draw_hairs(rng, img, width, height)

    vignette = np.clip(1.4 - np.hypot(dy / height, dx / width) * 1.2, 0, 1)[..., None]
    img = np.clip(img * vignette, 0, 255).astype(np.uint8)

    asymmetry_score = 0 if asym < 0.08 else 1 if asym < 0.18 else 2
    criteria = dict(asymmetry=asymmetry_score, colours=tuple(sorted(colours)),
                    network="T" if clinical == 0 else "AT")
    return img, mask, criteria


def _ph2_row(image_id: str, histological: str, clinical: int, c: dict) -> str:
    blotchy = "P" if clinical == 2 else "A"
    colours = "  ".join(str(k) for k in c["colours"])
    return (f"|| {image_id} || {histological:>22} || {clinical:>18} || {c['asymmetry']:>9} | {c['network']:>15} | "
            f"{'A':>13} | {'A':>7} | {blotchy:>16} | {blotchy:>17} || {colours:>16} ||")


def ph2_cases(seed: int, counts: dict[int, int]) -> list[tuple[str, int]]:
    """(image id, clinical diagnosis) of every image, in the table's order (grouped by diagnosis)."""
    rng = np.random.default_rng([seed, 2])
    ids = np.sort(rng.choice(np.arange(2, 438), size=sum(counts.values()), replace=False))
    rng.shuffle(ids)
    order, start = [], 0
    for clinical, k in counts.items():
        order += [(f"IMD{i:03d}", clinical) for i in sorted(ids[start:start + k])]
        start += k
    return order


def write_ph2_images(root: Path, seed: int, cases: list[tuple[str, int]], indices, size: tuple[int, int],
                     size_jitter: int) -> list[str]:
    """The images and lesion masks of cases[i] for i in `indices` (each seeded on its own, so parts can be
    written in parallel); returns their rows of PH2_dataset.txt."""
    rows = []
    for idx in tqdm(indices, desc="demo PH2", unit="img", disable=None, mininterval=1.0):
        image_id, clinical = cases[idx]
        r = np.random.default_rng([seed, 2, idx])
        w = size[0] + int(r.integers(-size_jitter, size_jitter + 1))
        h = size[1] + int(r.integers(-size_jitter, size_jitter + 1))
        img, mask, criteria = lesion_image(r, clinical, w, h)
        case = root / PH2_IMAGES_DIR / image_id
        (case / f"{image_id}_Dermoscopic_Image").mkdir(parents=True)
        (case / f"{image_id}_lesion").mkdir()
        Image.fromarray(img).save(case / f"{image_id}_Dermoscopic_Image" / f"{image_id}.bmp", format="BMP")
        Image.fromarray(mask).convert("1").save(case / f"{image_id}_lesion" / f"{image_id}_lesion.bmp", format="BMP")
        histological = "Melanoma" if clinical == 2 and r.random() < 0.5 else ""
        rows.append(_ph2_row(image_id, histological, clinical, criteria))
    return rows


def write_ph2_table(root: Path, rows: list[str]) -> None:
    """PH2_dataset.txt: CRLF, the `||` table (rows in the cases' order), then the legends."""
    text = "\r\n".join([PH2_HEADER] + rows) + "\r\n\r\n\r\n" + PH2_LEGENDS.replace("\n", "\r\n")
    (root / PH2_TABLE).write_bytes(text.encode("latin-1"))


def write_ph2(root: str | Path, seed: int = 0, counts: dict[int, int] | None = None,
              size: tuple[int, int] = (384, 288), size_jitter: int = 4) -> Path:
    """Write a synthetic PH2 in the official layout: 24-bit BMP images, 1-bit BMP lesion masks,
    and PH2_dataset.txt (CRLF, `||` table, rows grouped by diagnosis, then the legends)."""
    cases = ph2_cases(seed, counts or {0: 80, 1: 80, 2: 40})
    with atomic_dir(Path(root)) as tmp:
        write_ph2_table(tmp, write_ph2_images(tmp, seed, cases, range(len(cases)), size, size_jitter))
    return Path(root)
