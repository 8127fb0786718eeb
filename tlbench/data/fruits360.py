"""Fruits-360 (Oltean & Muresan): `Training/<class>/*.jpg`, `Test/<class>/*.jpg`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import TlbenchError
from .images import ImageFolder
from .registry import DATASETS

FRUITS360_URL = DATASETS["fruits360"].source
# known releases: classes -> (training images, test images)
FRUITS360_RELEASES = {81: (41322, 13877), 131: (67692, 22688)}


@dataclass
class Fruits360:
    """Fruits-360 (Oltean & Muresan): `Training/<class>/*.jpg`, `Test/<class>/*.jpg`, 100x100 RGB."""

    root: Path
    train: ImageFolder
    test: ImageFolder

    @classmethod
    def load(cls, root: str | Path) -> Fruits360:
        root = Path(root)
        fix = (
            f"get Fruits-360 ({FRUITS360_URL}, `tlbench data fetch fruits360`) so that {root}/Training/<class>/ exists"
        )
        train = ImageFolder.scan(root / "Training", fix)
        test = ImageFolder.scan(root / "Test", fix)
        extra = sorted(set(test.classes) - set(train.classes))
        if extra:
            raise TlbenchError(
                f"{root / 'Test'} has classes that Training lacks ({', '.join(extra[:3])}): use one release for both"
            )
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
            return (
                "warning",
                f"{self.root}: {n_classes} classes is not a release tlbench knows (81 or 131): "
                "results are not comparable with the seed",
            )
        if counts != expected:
            return "error", (f"{self.root}: {counts[0]} + {counts[1]} images where the {n_classes}-class release has "
                             f"{expected[0]} + {expected[1]}: the copy is incomplete; extract the archive again")
        return None


def inspect(params, root: Path) -> list[tuple[str, dict, dict]]:
    ds = Fruits360.load(root)
    if params.settings.official_counts:
        problem = ds.release_problem()
        if problem and problem[0] == "error":
            raise TlbenchError(problem[1])
    found = {"classes": len(ds.train.classes), "train": len(ds.train.samples), "test": len(ds.test.samples)}
    return [("fruits360", found, {})]  # any known release (release_problem)


DATASETS.implement("fruits360", inspect)
