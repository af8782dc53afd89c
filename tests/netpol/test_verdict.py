"""The per-pod reference evaluator against the table of semantic rules, and its reasons."""

from __future__ import annotations

import pytest

from compliance.netpol.ports import ALL_PORTS
from tests.netpol.builders import Evaluators, cluster, policy, ports
from tests.netpol.cases import BASE, CASES, Case


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reference_follows_the_semantics(case: Case) -> None:
    evaluators = Evaluators(cluster(*case.objects), case.options)
    for source, destination, expected in case.expect:
        assert evaluators.reference(source, destination) == ports(expected), (source, destination)
    ambiguous = {(source, destination): expected for source, destination, expected in case.ambiguous}
    for source, destination, _ in case.expect:
        assert (evaluators.reference_ambiguous(source, destination)
                == ports(ambiguous.get((source, destination), "none"))), (source, destination)


def test_a_pod_always_reaches_itself() -> None:
    evaluators = Evaluators(cluster(*BASE, policy("a/p", {"policyTypes": ["Ingress", "Egress"]})))
    verdict = evaluators.context.connection(evaluators.endpoint("a/web"), evaluators.endpoint("a/web"))
    assert verdict.self_connection
    assert verdict.ports == ALL_PORTS


def test_rule_verdicts_name_the_policy_rule_and_why() -> None:
    evaluators = Evaluators(cluster(*BASE, policy("a/p", {"ingress": [
        {"from": [{"podSelector": {}}], "ports": [{"port": 80}]},
        {"from": [{"namespaceSelector": {}}], "ports": [{"port": "web"}]},
    ]})))
    verdict = evaluators.context.connection(evaluators.endpoint("b/client"), evaluators.endpoint("a/web"))
    assert not verdict.egress.isolated
    assert verdict.ingress.selecting == ("a/p",)
    first, second = verdict.ingress.rules
    assert (first.reference, first.peer_matches, first.admits) == ("a/p ingress[0]", False, False)
    assert (second.reference, second.peer_matches, second.unresolved_ports) == ("a/p ingress[1]", True, ("web/TCP",))
    assert not verdict.ports


def test_an_address_endpoint_is_outside_policy_control() -> None:
    evaluators = Evaluators(cluster(*BASE, policy("a/p", {"ingress": [{"ports": [{"port": 443}]}]})))
    verdict = evaluators.context.connection(evaluators.endpoint("8.8.8.8"), evaluators.endpoint("a/web"))
    assert not verdict.egress.applies
    assert verdict.ports == ports("TCP 443")
