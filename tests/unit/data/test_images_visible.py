from tests.conftest import samples_or_skip
from tlbench.data.images import visible


def test_archive_junk_is_ignored():
    test_dir = samples_or_skip("UCSD_Anomaly_Dataset.v1p2", "UCSDped2", "Test")
    names = [p.name for p in visible(test_dir.iterdir())]
    assert "UCSDped2.m" in names and "UCSDped2.m~" not in names and "._UCSDped2.m" not in names
    assert ".DS_Store" not in [p.name for p in visible((test_dir / "Test001").iterdir())]
