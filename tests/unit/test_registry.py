"""tlbench/registry.py: entries by name with did-you-mean errors; `implemented(**fields)` refuses an entry
with those fields that was registered without code, instead of letting its column drop out of the tables."""
import pytest

from tlbench.errors import TlbenchError
from tlbench.methods.registry import Measure
from tlbench.registry import Registry


def measures() -> Registry:
    return Registry("measure", [Measure("eer", "EER (%)", computed_from="scores"),
                                Measure("auc", "AUC (%)", computed_from="scores"),
                                Measure("logme", "LogME", computed_from="layer")])


def test_implemented_returns_every_entry_of_the_kind_in_order():
    reg = measures()
    for name in ("eer", "auc", "logme"):
        reg.implement(name, len)
    assert [e.name for e in reg.implemented(computed_from="scores")] == ["eer", "auc"]
    assert [e.name for e in reg.implemented(computed_from="layer")] == ["logme"] and reg.implemented(
        computed_from="domain"
    ) == []


def test_an_entry_registered_without_code_is_an_error_not_a_missing_column():
    reg = measures()
    reg.implement("eer", len)
    with pytest.raises(
        TlbenchError, match=r"'auc' \(computed_from='scores'\) registered without an implementation.*MEASURES.implement"
    ):
        reg.implemented(computed_from="scores")
    reg.implement("auc", len)
    assert len(reg.implemented(computed_from="scores")) == 2


def test_an_unknown_name_suggests_the_closest():
    with pytest.raises(TlbenchError, match="did you mean `logme`"):
        measures()["logm"]
