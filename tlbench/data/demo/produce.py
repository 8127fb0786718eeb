"""Synthetic twins of Fruits-360 (source), Supermarket Produce (target) and CIFAR-10.

The fruits twin shows one fruit per image on white, in rotated views, like Fruits-360; the
supermarket twin shows several fruits of the same kinds in clutter under other lighting, so that
going from one to the other is a real domain shift."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter
from tqdm import tqdm

# kind -> (base RGB, shape aspect (rx/ry), texture strength, highlight)
FRUIT_KINDS = {
    "apple_red": ((178, 34, 40), 1.0, 8, True),
    "apple_green": ((120, 190, 70), 1.0, 6, True),
    "banana": ((235, 205, 60), None, 5, False),
    "kiwi": ((120, 85, 45), 1.25, 28, False),
    "orange": ((240, 140, 25), 1.0, 14, True),
    "plum": ((80, 30, 70), 1.15, 6, True),
}
FRUITS360_NAMES = {"apple_red": "Apple Red 1", "apple_green": "Apple Granny Smith", "banana": "Banana",
                   "kiwi": "Kiwi", "orange": "Orange", "plum": "Plum"}
SUPERMARKET_NAMES = {"apple_red": "Fuji Apple", "apple_green": "Granny Smith Apple", "banana": "Banana",
                     "kiwi": "Kiwi", "orange": "Orange", "plum": "Plum"}
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def _noise(rng, shape, sigma):
    f = gaussian_filter(rng.standard_normal(shape), sigma)
    return f / (f.std() + 1e-12)


# How far a fruit's blurred outline reaches from its centre, in radii: a round fruit's outline is an
# ellipse within 1.03 x its longer axis; the banana's arc lies in a disc of radius 1.24 around
# (0, 0.7), within 1.94 of the centre. Beyond, plus the blur's 3 pixels, alpha is exactly 0.
ROUND_REACH, BANANA_REACH, BLUR_MARGIN = 1.05, 2.0, 4


def _reach_box(centre: float, size: int, reach: float) -> slice:
    """The pixels within `reach` of `centre` on one axis, plus the blur's margin, clipped to the canvas."""
    first, last = int(np.floor(centre - reach)) - BLUR_MARGIN, int(np.ceil(centre + reach)) + BLUR_MARGIN
    return slice(max(0, first), min(size, last + 1))


def draw_fruit(canvas: np.ndarray, kind: str, rng: np.random.Generator, cy: float, cx: float, radius: float,
               angle: float, light: np.ndarray) -> None:
    """Composite one fruit onto `canvas` (H x W x 3 float), in place. Only the box that its blurred outline
    can reach is computed: outside it alpha is exactly 0 and the whole-canvas formulas would leave the
    canvas as it is. The texture noise is still drawn and normalised over the whole canvas, so the
    generator's stream and every pixel are what the whole-canvas way gives."""
    base, aspect, texture, highlight = FRUIT_KINDS[kind]
    h, w = canvas.shape[:2]
    noise = _noise(rng, (h, w), 1.0)
    reach = radius * (BANANA_REACH if aspect is None else ROUND_REACH * max(aspect, 1.0))
    box = _reach_box(cy, h, reach), _reach_box(cx, w, reach)
    yy, xx = np.mgrid[box].astype(np.float64)
    c, s = np.cos(angle), np.sin(angle)
    u, v = ((xx - cx) * c + (yy - cy) * s) / radius, (-(xx - cx) * s + (yy - cy) * c) / radius
    if aspect is None:  # banana: a thick arc
        r = np.hypot(u, v - 0.7)  # the arc's circle is centred below the fruit's centre
        band = 0.24 * (1 - np.clip(np.abs(u) / 0.95, 0, 1) ** 4)
        inside = (np.abs(r - 1.0) < band) & (v < 0.6)
        shade = 1 - 0.5 * np.abs(r - 1.0) / 0.24
    else:
        rr = np.hypot(u / aspect, v)
        inside = rr < 1 + 0.03 * np.cos(3 * np.arctan2(v, u) + angle)
        shade = np.sqrt(np.clip(1 - rr**2, 0, 1))
    alpha = gaussian_filter(inside.astype(np.float64), 0.8)[..., None]
    colour = np.array(base, dtype=np.float64) * (0.55 + 0.45 * shade[..., None])
    colour += texture * noise[box][..., None]
    if highlight:
        spot = np.exp(-((u + 0.35) ** 2 + (v + 0.35) ** 2) / 0.05)
        colour += 90 * spot[..., None]
    canvas[box] = alpha * colour * light + (1 - alpha) * canvas[box]


def write_fruits360(root: Path, seed: int, train_per_class: int, test_per_class: int, size: int = 100) -> Path:
    """`Training/<class>/<k>_100.jpg`, `Test/<class>/<k>_100.jpg`: one fruit on white, rotating views."""
    for c, kind in enumerate(tqdm(FRUIT_KINDS, desc="demo fruits-360", unit="class", disable=None)):
        n = train_per_class + test_per_class
        rng = np.random.default_rng([seed, 3, c])
        views = rng.permutation(n)  # test views interleave the training ones, as in the real set
        for k in range(n):
            canvas = np.full((size, size, 3), 255.0)
            r = np.random.default_rng([seed, 3, c, k])
            draw_fruit(canvas, kind, r, size / 2 + r.normal(0, 2), size / 2 + r.normal(0, 2),
                       size * r.uniform(0.33, 0.4), 2 * np.pi * views[k] / n, np.ones(3))
            split = "Training" if k < train_per_class else "Test"
            out = root / split / FRUITS360_NAMES[kind]
            out.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).save(out / f"{k}_100.jpg", quality=95)
    return root


def write_supermarket(root: Path, seed: int, per_class: int, size: tuple[int, int] = (256, 192),
                      kinds: list[str] | None = None) -> Path:
    """`<class>/<k>.jpg`: several fruits of one kind in clutter, under varied lighting. `kinds`: only
    these classes (each image is seeded on its own, so classes can be written in parallel)."""
    w, h = size
    for c, kind in enumerate(tqdm(FRUIT_KINDS, desc="demo supermarket", unit="class", disable=None)):
        if kinds is not None and kind not in kinds:
            continue
        out = root / SUPERMARKET_NAMES[kind]
        out.mkdir(parents=True, exist_ok=True)
        for k in range(per_class):
            r = np.random.default_rng([seed, 4, c, k])
            tray = r.uniform(60, 200, 3)
            canvas = tray + 25 * _noise(r, (h, w), 6)[..., None]
            for _ in range(r.integers(2, 6)):  # clutter: other objects and shelf edges
                y0, x0 = r.integers(0, h), r.integers(0, w)
                canvas[y0:y0 + r.integers(5, h // 3), x0:x0 + r.integers(5, w // 3)] = r.uniform(0, 255, 3)
            light = r.uniform(0.6, 1.15) * np.array([r.uniform(0.85, 1.15), 1.0, r.uniform(0.75, 1.2)])
            for _ in range(r.integers(2, 6)):
                draw_fruit(canvas, kind, r, r.uniform(0.2, 0.8) * h, r.uniform(0.15, 0.85) * w,
                           r.uniform(0.1, 0.2) * h, r.uniform(0, 2 * np.pi), light)
            if r.random() < 0.5:  # a translucent bag
                canvas = 0.7 * canvas + 0.3 * (200 + 30 * _noise(r, (h, w), 3))[..., None]
            Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).save(out / f"{k:04d}.jpg", quality=90)
    return root


def _cifar_image(rng: np.random.Generator, label: int) -> np.ndarray:
    """32x32: a class-specific shape and palette on a class-specific background, with noise."""
    palette = np.random.default_rng([99, label]).uniform(30, 230, (2, 3))
    yy, xx = np.mgrid[0:32, 0:32]
    cy, cx = 16 + rng.normal(0, 3, 2)
    size = rng.uniform(6, 11)
    shapes = [np.abs(yy - cy) + np.abs(xx - cx) < size,
              np.hypot(yy - cy, xx - cx) < size,
              (np.abs(yy - cy) < size / 2) & (np.abs(xx - cx) < size),
              (np.abs(yy - cy) < size) & (np.abs(xx - cx) < size / 3)]
    mask = shapes[label % 4] if label < 8 else shapes[label % 4] | (np.abs(yy - cy - size) < 2)
    img = palette[0] + rng.normal(0, 25, 3) + 12 * rng.standard_normal((32, 32, 1))
    img[mask] = palette[1] + rng.normal(0, 25, 3)
    return np.clip(img, 0, 255).astype(np.uint8)


def write_cifar10(root: Path, seed: int, train_per_class: int, test_per_class: int) -> Path:
    """`cifar-10-batches-py`-style pickles: data_batch_1..5, test_batch, batches.meta."""
    root.mkdir(parents=True, exist_ok=True)

    def batch(name, labels, tag):
        r = np.random.default_rng([seed, 5, tag])
        images = np.stack([_cifar_image(r, int(y)) for y in labels])
        data = images.transpose(0, 3, 1, 2).reshape(len(labels), 3072)  # R plane, G plane, B plane
        content = {b"batch_label": name.encode(), b"labels": [int(y) for y in labels], b"data": data,
                   b"filenames": [f"demo_{tag}_{i:05d}.png".encode() for i in range(len(labels))]}
        with open(root / name, "wb") as fh:
            pickle.dump(content, fh, protocol=2)

    rng = np.random.default_rng([seed, 5])
    train = rng.permutation(np.repeat(np.arange(10), train_per_class))
    for i, part in enumerate(np.array_split(train, 5), start=1):
        batch(f"data_batch_{i}", part, i)
    batch("test_batch", rng.permutation(np.repeat(np.arange(10), test_per_class)), 6)
    with open(root / "batches.meta", "wb") as fh:
        pickle.dump({b"label_names": [c.encode() for c in CIFAR10_CLASSES], b"num_cases_per_batch": len(train) // 5,
                     b"num_vis": 3072}, fh, protocol=2)
    return root
