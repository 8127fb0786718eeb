import pytest

from tlbench.methods.cdfg import complete_generalization, partial_generalization


def test_cdfg_definitions_on_the_seeds_cells():
    # seed Table 1, Cross-feature: Ped2->Ped2 26.26, Ped2->Ped1 51.46, Ped1->Ped1 51.4, Ped1->Ped2 26.25
    risk = {("ped2", "ped2"): 26.26, ("ped2", "ped1"): 51.46, ("ped1", "ped1"): 51.4, ("ped1", "ped2"): 26.25}
    assert partial_generalization(risk, "ped2", "ped1") == pytest.approx(25.2)  # seed Table 2
    assert partial_generalization(risk, "ped1", "ped2") == pytest.approx(25.15)
    assert complete_generalization(risk, "ped1", "ped2") == pytest.approx(25.175)  # seed Table 3: 25.2
