"""Dataset loaders for the official on-disk layouts. They read the real datasets and the demo
twins alike, and check what they read so that a broken dataset fails before any model work."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import TlbenchError

PH2_URL = "https://www.fc.up.pt/addi/ph2%20database.html"
PH2_CLASSES = ("common nevus", "atypical nevus", "melanoma")
PH2_EXPECTED_COUNTS = {0: 80, 1: 80, 2: 40}
PH2_IMAGES_DIR = "PH2 Dataset images"
PH2_TABLE = "PH2_dataset.txt"


@dataclass(frozen=True)
class PH2Record:
    image_id: str
    clinical_diagnosis: int  # 0 common nevus, 1 atypical nevus, 2 melanoma
    histological_diagnosis: str
    asymmetry: int | None
    colors: tuple[int, ...]

    def image_path(self, root: Path) -> Path:
        i = self.image_id
        return Path(root) / PH2_IMAGES_DIR / i / f"{i}_Dermoscopic_Image" / f"{i}.bmp"

    def lesion_mask_path(self, root: Path) -> Path:
        i = self.image_id
        return Path(root) / PH2_IMAGES_DIR / i / f"{i}_lesion" / f"{i}_lesion.bmp"


def parse_ph2_table(path: Path) -> list[PH2Record]:
    """Parse `PH2_dataset.txt`: a `||`-delimited table (CRLF line endings) followed by legends.

    Rows are returned in file order, which is the order the seed's unshuffled CV uses.
    """
    path = Path(path)
    if not path.is_file():
        raise TlbenchError(f"{path} not found: it comes with the PH2 archive ({PH2_URL}); put it in the PH2 folder")
    text = path.read_bytes().decode("latin-1")
    lines = [line for line in text.splitlines() if line.strip().startswith("||")]
    if not lines:
        raise TlbenchError(f"{path} has no `||` table: is it PH2_dataset.txt from the PH2 archive?")
    header = [h.strip() for h in lines[0].strip().strip("|").split("||")]
    try:
        col_name = header.index("Name")
        col_hist = header.index("Histological Diagnosis")
        col_clin = header.index("Clinical Diagnosis")
        col_colors = header.index("Colors")
    except ValueError:
        raise TlbenchError(f"{path}: header {header} lacks Name / Clinical Diagnosis / Colors columns") from None
    records, seen = [], set()
    for lineno, line in enumerate(lines[1:], start=2):
        cells = [c.strip() for c in line.strip().strip("|").split("||")]
        if len(cells) != len(header):
            raise TlbenchError(f"{path} line {lineno}: {len(cells)} cells where the header has {len(header)}")
        name = cells[col_name]
        try:
            clinical = int(cells[col_clin])
            if clinical not in PH2_EXPECTED_COUNTS:
                raise ValueError
        except ValueError:
            raise TlbenchError(
                f"{path} line {lineno} ({name}): clinical diagnosis {cells[col_clin]!r} is not 0, 1 or 2"
            ) from None
        if name in seen:
            raise TlbenchError(f"{path} line {lineno}: {name} appears twice")
        seen.add(name)
        criteria = [c.strip() for c in cells[col_clin + 1].split("|")]
        asymmetry = int(criteria[0]) if criteria and criteria[0].isdigit() else None
        colors = tuple(int(c) for c in cells[col_colors].split())
        records.append(PH2Record(name, clinical, cells[col_hist], asymmetry, colors))
    return records


def bmp_problem(path: Path) -> str | None:
    """Why a BMP file cannot be used (missing, not a BMP, truncated), or None. Reads 54 bytes."""
    if not path.is_file():
        return "is missing"
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(54)
    if len(head) < 26 or head[:2] != b"BM":
        return "is not a BMP file"
    offset = struct.unpack("<I", head[10:14])[0]
    width, height = struct.unpack("<ii", head[18:26])
    bpp = struct.unpack("<H", head[28:30])[0] if len(head) >= 30 else 24
    row = ((width * bpp + 31) // 32) * 4
    needed = offset + row * abs(height)
    if size < needed:
        return f"is truncated ({size} bytes, the header needs {needed})"
    return None


@dataclass
class PH2:
    """The PH2 dermoscopy dataset (Mendonça et al. 2013) in its official layout."""

    root: Path
    records: list[PH2Record]

    @classmethod
    def load(cls, root: str | Path, expect_full: bool = True) -> "PH2":
        root = Path(root)
        if not root.is_dir():
            raise TlbenchError(
                f"PH2 folder {root} not found: get PH2 from {PH2_URL}, extract it so that "
                f"{root / PH2_TABLE} exists, or point profiles.paper.datasets.ph2 in params.yaml at it"
            )
        records = parse_ph2_table(root / PH2_TABLE)
        ds = cls(root, records)
        ds.validate(expect_full)
        return ds

    def validate(self, expect_full: bool) -> None:
        for rec in self.records:
            path = rec.image_path(self.root)
            problem = bmp_problem(path)
            if problem:
                raise TlbenchError(
                    f"{path} (row {rec.image_id} of {PH2_TABLE}) {problem}: restore it from the PH2 archive, "
                    f"or remove the row from {self.root / PH2_TABLE}"
                )
        counts = self.class_counts()
        if expect_full and counts != PH2_EXPECTED_COUNTS:
            raise TlbenchError(
                f"{self.root / PH2_TABLE} lists {counts} images per clinical diagnosis, PH2 has "
                f"{PH2_EXPECTED_COUNTS}: use the complete, unmodified PH2 release"
            )

    def class_counts(self) -> dict[int, int]:
        return {c: sum(r.clinical_diagnosis == c for r in self.records) for c in PH2_EXPECTED_COUNTS}

    @property
    def image_paths(self) -> list[Path]:
        return [r.image_path(self.root) for r in self.records]

    @property
    def labels(self) -> np.ndarray:
        return np.array([r.clinical_diagnosis for r in self.records], dtype=np.int64)

    @property
    def ids(self) -> list[str]:
        return [r.image_id for r in self.records]


def open_rgb(path: Path) -> Image.Image:
    """Decode an image fully, or raise TlbenchError naming the file."""
    try:
        with Image.open(path) as im:
            im.load()
            return im.convert("RGB")
    except FileNotFoundError:
        raise TlbenchError(f"{path} is missing: restore it from the dataset archive") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise TlbenchError(f"{path} cannot be decoded ({exc}): replace it with an intact copy from the dataset archive") from None


# --- image-folder datasets ------------------------------------------------------------------

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}


@dataclass
class ImageFolder:
    """Images in `<root>/<class>/*.jpg`; class = folder name, classes sorted by name."""

    root: Path
    classes: list[str]
    samples: list[tuple[Path, int]]

    @classmethod
    def scan(cls, root: Path, how_to_fix: str) -> "ImageFolder":
        root = Path(root)
        if not root.is_dir():
            raise TlbenchError(f"{root} not found: {how_to_fix}")
        class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not class_dirs:
            raise TlbenchError(f"{root} has no class folders: {how_to_fix}")
        samples = []
        for k, d in enumerate(class_dirs):
            files = sorted(p for p in d.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
            if not files:
                raise TlbenchError(f"class folder {d} is empty: remove it or restore its images")
            samples += [(p, k) for p in files]
        return cls(root, [d.name for d in class_dirs], samples)

    @property
    def paths(self) -> list[Path]:
        return [p for p, _ in self.samples]

    @property
    def labels(self) -> np.ndarray:
        return np.array([k for _, k in self.samples], dtype=np.int64)

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=len(self.classes))
        return dict(zip(self.classes, counts.tolist()))


FRUITS360_URL = "https://github.com/Horea94/Fruit-Images-Dataset"
# known releases: classes -> (training images, test images)
FRUITS360_RELEASES = {81: (41322, 13877), 131: (67692, 22688)}


@dataclass
class Fruits360:
    """Fruits-360 (Oltean & Muresan): `Training/<class>/*.jpg`, `Test/<class>/*.jpg`, 100x100 RGB."""

    root: Path
    train: ImageFolder
    test: ImageFolder

    @classmethod
    def load(cls, root: str | Path) -> "Fruits360":
        root = Path(root)
        fix = f"get Fruits-360 ({FRUITS360_URL}, `tlbench data fetch fruits360`) so that {root}/Training/<class>/ exists"
        train = ImageFolder.scan(root / "Training", fix)
        test = ImageFolder.scan(root / "Test", fix)
        extra = sorted(set(test.classes) - set(train.classes))
        if extra:
            raise TlbenchError(f"{root / 'Test'} has classes that Training lacks ({', '.join(extra[:3])}): use one release for both")
        # the same class index in both splits
        index = {c: k for k, c in enumerate(train.classes)}
        test.samples = [(p, index[test.classes[k]]) for p, k in test.samples]
        test.classes = train.classes
        return cls(root, train, test)

    def release_problem(self) -> tuple[str, str] | None:
        """("warning"|"error", message) when the counts are not those of a known release."""
        n_classes, counts = len(self.train.classes), (len(self.train.samples), len(self.test.samples))
        expected = FRUITS360_RELEASES.get(n_classes)
        if expected is None:
            return "warning", f"{self.root}: {n_classes} classes is not a release tlbench knows (81 or 131): results are not comparable with the seed"
        if counts != expected:
            return "error", (f"{self.root}: {counts[0]} + {counts[1]} images where the {n_classes}-class release has "
                             f"{expected[0]} + {expected[1]}: the copy is incomplete; extract the archive again")
        return None


SUPERMARKET_URL = "http://www.ic.unicamp.br/~rocha/pub/communications.html"
SUPERMARKET_COUNTS = (15, 2633)


def load_supermarket(root: str | Path) -> ImageFolder:
    """Supermarket Produce (Rocha et al. 2010): `tropical-fruits-DB-1024x768/<class>/*.jpg`, no label file.
    `root` may be that folder or the one holding it."""
    root = Path(root)
    inner = root / "tropical-fruits-DB-1024x768"
    return ImageFolder.scan(inner if inner.is_dir() else root,
                            f"get Supermarket Produce ({SUPERMARKET_URL}) and extract it to {root}")


CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]


@dataclass
class CIFAR10:
    """CIFAR-10, python version (`cifar-10-batches-py/`). Batches are unpickled one at a time."""

    root: Path

    @classmethod
    def load(cls, root: str | Path) -> "CIFAR10":
        root = Path(root)
        missing = [f for f in CIFAR10_FILES if not (root / f).is_file()]
        if missing:
            raise TlbenchError(f"{root / missing[0]} not found: get {CIFAR10_URL} (`tlbench data fetch cifar10`) "
                               f"and extract it so that {root}/data_batch_1 exists")
        return cls(root)

    def _batch(self, name: str) -> dict:
        import pickle

        try:
            with open(self.root / name, "rb") as fh:
                batch = pickle.load(fh, encoding="bytes")
            data = np.asarray(batch[b"data"], dtype=np.uint8)
            labels = np.asarray(batch[b"labels"], dtype=np.int64)
        except Exception as exc:
            raise TlbenchError(f"{self.root / name} cannot be read ({type(exc).__name__}): extract the archive again") from None
        if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
            raise TlbenchError(f"{self.root / name}: data of shape {data.shape} for {len(labels)} labels, expected N x 3072")
        return {"data": data, "labels": labels}

    @property
    def classes(self) -> list[str]:
        import pickle

        with open(self.root / "batches.meta", "rb") as fh:
            return [c.decode() for c in pickle.load(fh, encoding="bytes")[b"label_names"]]

    def split_labels(self, split: str) -> np.ndarray:
        names = CIFAR10_FILES[:5] if split == "train" else ["test_batch"]
        return np.concatenate([self._batch(n)["labels"] for n in names])

    def images(self, split: str, indices: np.ndarray) -> np.ndarray:
        """The images at `indices` of a split, (n, 32, 32, 3) uint8, reading one batch at a time."""
        names = CIFAR10_FILES[:5] if split == "train" else ["test_batch"]
        indices = np.asarray(indices)
        out = np.empty((len(indices), 32, 32, 3), dtype=np.uint8)
        offset = 0
        for name in names:
            batch = self._batch(name)
            n = len(batch["labels"])
            hit = (indices >= offset) & (indices < offset + n)
            if hit.any():
                out[hit] = batch["data"][indices[hit] - offset].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
            offset += n
        return out

    def subsample(self, fraction: float, seed: int, split: str = "train") -> np.ndarray:
        """The seed's stratified subsample (5 % by default) of a split, as sorted indices."""
        from sklearn.model_selection import train_test_split

        labels = self.split_labels(split)
        idx, _ = train_test_split(np.arange(len(labels)), train_size=fraction, stratify=labels, random_state=seed)
        return np.sort(idx)
