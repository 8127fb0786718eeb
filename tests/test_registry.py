"""tlbench/registry.py: entries by name with did-you-mean errors; `implemented(kind)` refuses an entry of
the kind that was registered without code, instead of letting its column drop out of the tables."""
import pytest

from tlbench.errors import TlbenchError
from tlbench.registry import Entry, Registry


def measures() -> Registry:
    return Registry("measure", [Entry("eer", "EER (%)", kind="scores"), Entry("auc", "AUC (%)", kind="scores"),
                                Entry("logme", "LogME", kind="layer")])


def test_implemented_returns_every_entry_of_the_kind_in_order():
    reg = measures()
    for name in ("eer", "auc", "logme"):
        reg.implement(name, len)
    assert [e.name for e in reg.implemented("scores")] == ["eer", "auc"]
    assert [e.name for e in reg.implemented("layer")] == ["logme"] and reg.implemented("domain") == []


def test_an_entry_registered_without_code_is_an_error_not_a_missing_column():
    reg = measures()
    reg.implement("eer", len)
    with pytest.raises(
        TlbenchError, match=r"'auc' \(scores\) registered without an implementation.*MEASURES.implement"
    ):
        reg.implemented("scores")
    reg.implement("auc", len)
    assert len(reg.implemented("scores")) == 2


def test_an_unknown_name_suggests_the_closest():
    with pytest.raises(TlbenchError, match="did you mean `logme`"):
        measures()["logm"]
