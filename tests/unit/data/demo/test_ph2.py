import hashlib

import numpy as np
from PIL import Image

from tests.conftest import samples_or_skip
from tlbench.data.demo.ph2 import write_ph2
from tlbench.data.ph2 import PH2, parse_ph2_table


def digest(root):
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, tiny_ph2):
    again = write_ph2(tmp_path / "a" / "PH2Dataset", seed=0, counts={0: 8, 1: 8, 2: 4}, size=(96, 72), size_jitter=2)
    other = write_ph2(tmp_path / "b" / "PH2Dataset", seed=1, counts={0: 8, 1: 8, 2: 4}, size=(96, 72), size_jitter=2)
    assert digest(again) == digest(tiny_ph2)
    assert digest(other) != digest(tiny_ph2)


def test_layout_and_formats_match_the_real_dataset(tiny_ph2):
    ds = PH2.load(tiny_ph2, expect_full=False)
    assert ds.class_counts() == {0: 8, 1: 8, 2: 4}
    assert list(ds.labels) == sorted(ds.labels)  # rows grouped by diagnosis, as in PH2
    raw = (tiny_ph2 / "PH2_dataset.txt").read_bytes()
    assert raw.count(b"\r\n") > 20 and b"\n" not in raw.replace(b"\r\n", b"")
    assert b"Legends for Clinical Diagnosis" in raw
    rec = ds.records[0]
    with Image.open(rec.image_path(tiny_ph2)) as im:
        assert im.format == "BMP" and im.mode == "RGB"
    with Image.open(rec.lesion_mask_path(tiny_ph2)) as im:
        assert im.format == "BMP" and im.mode == "1"


def test_table_columns_line_up_with_the_real_file(tiny_ph2):
    real = samples_or_skip("PH2Dataset", "PH2_dataset.txt").read_bytes().split(b"\r\n")
    ours = (tiny_ph2 / "PH2_dataset.txt").read_bytes().split(b"\r\n")
    assert ours[0] == real[0]
    assert [len(line) for line in ours[1:4]] == [len(real[1])] * 3


def test_classes_differ_the_way_ph2_classes_do(tmp_path):
    root = write_ph2(tmp_path / "PH2Dataset", seed=3, counts={0: 12, 1: 12, 2: 12}, size=(128, 96))
    records = parse_ph2_table(root / "PH2_dataset.txt")
    by_class = {c: [r for r in records if r.clinical_diagnosis == c] for c in (0, 1, 2)}
    colours = {c: np.mean([len(r.colors) for r in rs]) for c, rs in by_class.items()}
    asym = {c: np.mean([r.asymmetry for r in rs]) for c, rs in by_class.items()}
    assert colours[0] < colours[1] < colours[2]
    assert asym[0] < asym[2]
    assert any(5 in r.colors for r in by_class[2]) and not any(5 in r.colors for r in by_class[0])


def test_ph2_written_in_parts_in_any_order_is_the_sequential_twin(tmp_path, tiny_ph2):
    """demo_data writes the PH2 twin's images in parallel parts, then the table from their rows."""
    from concurrent.futures import ProcessPoolExecutor

    from tlbench.data.demo.ph2 import ph2_cases, write_ph2_images, write_ph2_table

    root, cases = tmp_path / "PH2Dataset", ph2_cases(0, {0: 8, 1: 8, 2: 4})
    parts = np.array_split(np.arange(len(cases)), 3)[::-1]
    with ProcessPoolExecutor(2) as pool:
        rows = list(pool.map(write_ph2_images, [root] * 3, [0] * 3, [cases] * 3, parts, [(96, 72)] * 3, [2] * 3))
    write_ph2_table(root, [row for part in rows[::-1] for row in part])
    assert digest(root) == digest(tiny_ph2)
