"""What the PH2 report tests share: a context and the committed fixture of fold rows (tests/fixtures/)."""
from pathlib import Path

import pytest

from tlbench.io import read_jsonl
from tlbench.records import Ph2Fold, typed_rows
from tlbench.reporting.ph2 import Ph2Context

TESTS = Path(__file__).resolve().parents[2]  # tests/: fixtures/ and golden/
CTX = Ph2Context(
    profile="demo",
    seed=0,
    synthetic=True,
    published="Published values: X et al.",
    preprocessing={"resnet50": "RGB squashed to 224x224; weights torchvision ResNet50_Weights.IMAGENET1K_V1"},
)


@pytest.fixture
def records() -> list[Ph2Fold]:
    path = TESTS / "fixtures" / "ph2_folds.jsonl"
    return typed_rows(Ph2Fold, read_jsonl(path), path, "ph2_evaluate")
