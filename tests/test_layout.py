"""The test of a module is found by its name: tests/unit/<package path>/test_<module>[_<aspect>].py tests
tlbench/<package path>/<module>.py; end-to-end tests (dvc repro, python -m, the CLI) live in tests/pipeline/."""
from pathlib import Path

from tests.conftest import REPO

TESTS = REPO / "tests"
HELPERS = {"conftest.py", "dvc_deps.py", "dvc_project.py", "__init__.py", "test_layout.py"}


def module_under_test(test: Path) -> Path | None:
    """The tlbench module a unit test file is named after, or None."""
    folder = REPO / "tlbench" / test.parent.relative_to(TESTS / "unit")
    name = test.stem.removeprefix("test_")
    candidates = [name[:i] for i in range(len(name), 0, -1) if i == len(name) or name[i] == "_"]
    for module in candidates:
        for path in (folder / f"{module}.py", folder / module / "__init__.py"):
            if path.is_file():
                return path
    return None


def test_every_unit_test_file_is_named_after_the_module_it_tests():
    unnamed = [t.relative_to(REPO).as_posix() for t in sorted((TESTS / "unit").rglob("test_*.py"))
               if module_under_test(t) is None]
    assert unnamed == []


def test_the_rule_finds_a_module_by_its_name_and_its_aspect():
    unit, package = TESTS / "unit", REPO / "tlbench"
    assert module_under_test(unit / "methods" / "test_tca_fidelity.py") == package / "methods" / "tca.py"
    assert module_under_test(unit / "test_scale_ray_connect.py") == package / "scale.py"
    anomaly = "reporting", "anomaly"
    assert module_under_test(unit.joinpath(*anomaly, "test_seed.py")) == package.joinpath(*anomaly, "seed.py")
    assert module_under_test(unit / "methods" / "test_nothing.py") is None


def test_no_test_file_outside_unit_and_pipeline():
    loose = sorted(p.name for p in TESTS.glob("*.py") if p.name not in HELPERS)
    assert loose == [], "put a module's tests in tests/unit/<package>/, end-to-end ones in tests/pipeline/"
