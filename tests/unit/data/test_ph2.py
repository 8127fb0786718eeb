import shutil

import pytest

from tests.conftest import samples_or_skip
from tlbench.data.images import open_rgb
from tlbench.data.ph2 import PH2, bmp_problem, parse_ph2_table
from tlbench.errors import TlbenchError


def test_parser_reads_the_real_sample_table():
    root = samples_or_skip("PH2Dataset")
    assert b"\r\n" in (root / "PH2_dataset.txt").read_bytes()
    records = parse_ph2_table(root / "PH2_dataset.txt")
    assert [r.image_id for r in records] == ["IMD003", "IMD009", "IMD002", "IMD004", "IMD058", "IMD061"]
    assert [r.clinical_diagnosis for r in records] == [0, 0, 1, 1, 2, 2]
    imd058 = records[4]
    assert imd058.histological_diagnosis == "Melanoma"
    assert imd058.colors == (1, 2, 4, 5) and imd058.asymmetry == 0


def test_parser_reads_the_full_original_table():
    records = parse_ph2_table(samples_or_skip("PH2Dataset", "PH2_dataset_full.txt"))
    assert len(records) == len({r.image_id for r in records}) == 200
    counts = [sum(r.clinical_diagnosis == c for r in records) for c in (0, 1, 2)]
    assert counts == [80, 80, 40]
    assert records[-1].image_id == "IMD435" and records[-1].histological_diagnosis == "Lentigo Maligna"


def test_loader_reads_the_real_sample_images():
    ds = PH2.load(samples_or_skip("PH2Dataset"), expect_full=False)
    assert ds.class_counts() == {0: 2, 1: 2, 2: 2}
    for path in ds.image_paths:
        assert bmp_problem(path) is None
        width, height = open_rgb(path).size
        assert 750 < width < 780 and 540 < height < 590


def test_sample_is_not_mistaken_for_the_full_dataset():
    with pytest.raises(TlbenchError, match="complete, unmodified PH2"):
        PH2.load(samples_or_skip("PH2Dataset"), expect_full=True)


def test_missing_folder(tmp_path):
    with pytest.raises(TlbenchError, match=r"PH2 folder .*nowhere not found.*PH2_dataset.txt exists"):
        PH2.load(tmp_path / "nowhere")


def test_wrong_layout_without_table(tmp_path):
    (tmp_path / "PH2Dataset").mkdir()
    with pytest.raises(TlbenchError, match="PH2_dataset.txt not found"):
        PH2.load(tmp_path / "PH2Dataset")


@pytest.fixture
def ph2_copy(tiny_ph2, tmp_path):
    return shutil.copytree(tiny_ph2, tmp_path / "PH2Dataset")


def test_row_whose_image_is_missing(ph2_copy):
    ds = PH2.load(ph2_copy, expect_full=False)
    victim = ds.image_paths[3]
    victim.unlink()
    with pytest.raises(TlbenchError) as err:
        PH2.load(ph2_copy, expect_full=False)
    assert str(victim) in str(err.value) and f"row {ds.ids[3]}" in str(err.value)
    assert "is missing" in str(err.value)


def test_truncated_bmp(ph2_copy):
    victim = PH2.load(ph2_copy, expect_full=False).image_paths[0]
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])
    with pytest.raises(TlbenchError, match=r"IMD\d+\.bmp .*is truncated"):
        PH2.load(ph2_copy, expect_full=False)
    with pytest.raises(TlbenchError, match="cannot be decoded"):
        open_rgb(victim)


def test_not_a_bmp(ph2_copy):
    victim = PH2.load(ph2_copy, expect_full=False).image_paths[1]
    victim.write_bytes(b"GIF89a" + b"\0" * 100)
    with pytest.raises(TlbenchError, match="is not a BMP file"):
        PH2.load(ph2_copy, expect_full=False)


def test_bad_diagnosis_value(ph2_copy):
    table = ph2_copy / "PH2_dataset.txt"
    lines = table.read_bytes().split(b"\r\n")
    lines[1] = lines[1].replace(b"||                  0 ||", b"||                  7 ||", 1)
    table.write_bytes(b"\r\n".join(lines))
    with pytest.raises(TlbenchError, match=r"line 2 .*clinical diagnosis '7'"):
        PH2.load(ph2_copy, expect_full=False)
