from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"


def samples_or_skip(*parts: str) -> Path:
    path = SAMPLES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (real-format samples live in ../shared/samples)")
    return path


@pytest.fixture(scope="session")
def tiny_ph2(tmp_path_factory) -> Path:
    """A 20-image synthetic PH2 in the official layout."""
    from tlbench.data.demo.ph2 import write_ph2

    root = tmp_path_factory.mktemp("ph2") / "PH2Dataset"
    return write_ph2(root, seed=0, counts={0: 8, 1: 8, 2: 4}, size=(96, 72), size_jitter=2)


@pytest.fixture
def torch_home(tmp_path, monkeypatch) -> Path:
    """An empty torch hub cache, so that no test sees (or downloads) real weights."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch"
