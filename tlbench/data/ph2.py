"""PH2 (Mendonça et al. 2013) in its official layout: `PH2_dataset.txt` and the BMP images."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import TlbenchError
from .registry import DATASETS

PH2_URL = DATASETS["ph2"].source
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
    def load(cls, root: str | Path, expect_full: bool = True) -> PH2:
        root = Path(root)
        if not root.is_dir():
            raise TlbenchError(
                f"PH2 folder {root} not found: get PH2 from {PH2_URL}, extract it so that "
                f"{root / PH2_TABLE} exists (or link the folder there)"
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


def inspect(params, root: Path) -> list[tuple[str, dict, dict]]:
    """`tlbench data check`: (name, found counts, official counts); raises TlbenchError when unusable."""
    ds = PH2.load(root, expect_full=params.settings.official_counts)
    return [("ph2", {"images": len(ds.records)}, {"images": sum(PH2_EXPECTED_COUNTS.values())})]


DATASETS.implement("ph2", inspect)
