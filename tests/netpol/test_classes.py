"""The label index: Calico's selector terms evaluated over many labelled items as bitsets."""

from __future__ import annotations

from compliance.model.calico_selector import (
    Conjunction,
    Disjunction,
    Everything,
    LabelTest,
    Negation,
    NonNamespaced,
    Term,
)
from compliance.netpol import bitsets
from compliance.netpol.classes import LabelIndex


def test_calico_terms_evaluate_over_a_label_index_as_bitsets() -> None:
    index = LabelIndex([(("app", "web"), ("tier", "front")), (("app", "webhook"),), (("tier", "back"),), ()])

    def found(term: Term) -> list[int]:
        return bitsets.members(index.select_term(term))
    assert found(LabelTest("app", "==", ("web",))) == [0]
    assert found(LabelTest("app", "!=", ("web",))) == [1, 2, 3]  # != holds without the label
    assert found(LabelTest("tier", "not in", ("front", "x"))) == [1, 2, 3]
    assert found(LabelTest("app", "starts with", ("web",))) == [0, 1]
    assert found(LabelTest("app", "ends with", ("hook",))) == [1]
    assert found(LabelTest("app", "contains", ("bh",))) == [1]
    assert found(LabelTest("tier", "has")) == [0, 2]
    assert found(Disjunction((LabelTest("tier", "==", ("back",)), Negation(LabelTest("app", "has"))))) == [2, 3]
    assert found(Conjunction((Everything(), LabelTest("tier", "in", ("front", "back"))))) == [0, 2]
    assert found(NonNamespaced()) == []
