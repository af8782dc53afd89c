"""The assessed system: workload connections keep what equal priorities leave ambiguous, and the Admin tier alone."""

from __future__ import annotations

import pytest

from compliance.analysis.system import AssessedSystem, merged_ambiguity
from compliance.model.calico_policy import CalicoTier
from compliance.model.cluster_policy import Action, Tier
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import PortSet
from compliance.scope import parse_scope
from tests.checks.test_cases import SHARED_SCOPE, TODAY
from tests.netpol import calico_builders as calico
from tests.netpol.builders import admin, baseline, cluster, namespace, pod, policy, ports


@pytest.mark.parametrize(("parts", "expected"), [
    pytest.param([("TCP 80,443", "TCP 80")], "TCP 80", id="one-part"),
    pytest.param([("TCP 80", "TCP 80"), ("TCP 80", "none")], "none", id="certain-in-another-part"),
    pytest.param([("TCP 80", "TCP 80"), ("TCP 443", "none")], "TCP 80", id="other-ports-certain"),
    pytest.param([("TCP 80-90", "TCP 80-90"), ("TCP 85", "TCP 85")], "TCP 80-90", id="ambiguous-in-both"),
])
def test_merged_ambiguity(parts: list[tuple[str, str]], expected: str) -> None:
    found: PortSet = merged_ambiguity(*((ports(p), ports(a)) for p, a in parts))
    assert found == ports(expected)


def test_guardrail_tiers_alone_keep_only_the_admin_tier() -> None:
    snapshot = cluster(namespace("payments", **{"pci-zone": "cde"}), namespace("marketing"),
                       pod("payments/api", {"app": "api"}), pod("marketing/news", {"app": "news"}),
                       policy("payments/deny", {"policyTypes": ["Ingress"]}),
                       admin("guard", 10, {"subject": {"namespaces": {"matchLabels": {"pci-zone": "cde"}}},
                                           "ingress": [{"action": "Deny", "from": [{"namespaces": {}}],
                                                        "ports": [{"portNumber": {"protocol": "TCP", "port": 22}}]}]}),
                       baseline({"subject": {"namespaces": {}}, "ingress": [{"action": "Deny",
                                                                             "from": [{"namespaces": {}}]}]}))
    system = AssessedSystem(snapshot, parse_scope(SHARED_SCOPE.read_text(encoding="utf-8"), str(SHARED_SCOPE)),
                            AnalysisOptions(), TODAY)
    alone = system.guardrail_tiers_alone
    assert alone is system.guardrail_tiers_alone
    assert system.guardrail_tiers == {"kube-admin"}
    assert (alone.snapshot.policies, [p.tier for p in alone.snapshot.cluster_policies]) == ((), [Tier.ADMIN])
    assert system.connections_between(["out-of-scope"], ["cde"]) == []
    [opened] = alone.connections_between(["out-of-scope"], ["cde"])
    assert (opened.source, opened.destination, opened.ports) == ("marketing/news[Pod]", "payments/api[Pod]",
                                                                 ports("TCP 1-21,23-65535; UDP all; SCTP all"))


def test_guardrail_tiers_alone_keep_the_calico_tiers_ordered_before_default() -> None:
    snapshot = cluster(namespace("payments", **{"pci-zone": "cde"}), namespace("marketing"),
                       pod("payments/api", {"app": "api"}), pod("marketing/news", {"app": "news"}),
                       policy("payments/deny", {"policyTypes": ["Ingress"]}))
    deny_ssh = calico.rule(Action.DENY, destination=calico.entity(ports=(22,)), protocol="TCP")
    closed = (deny_ssh, calico.rule(Action.DENY))
    snapshot = calico.with_calico(
        snapshot, CalicoTier("security", 100.0, Action.PASS), CalicoTier("late", 5_000_000.0, Action.PASS),
        calico.calico_policy("security.ssh", 1.0, ingress=(deny_ssh,), tier="security"),
        calico.calico_policy("payments/closed", 1.0, ingress=closed),
        calico.calico_policy("late.closed", 1.0, ingress=closed, tier="late"))
    system = AssessedSystem(snapshot, parse_scope(SHARED_SCOPE.read_text(encoding="utf-8"), str(SHARED_SCOPE)),
                            AnalysisOptions(), TODAY)
    assert system.tier_order == ("security", "kube-admin", "default", "late", "kube-baseline")
    assert system.guardrail_tiers == {"security", "kube-admin"}
    alone = system.guardrail_tiers_alone
    assert (alone.snapshot.policies, [p.key for p in alone.snapshot.calico_policies]) == (
        (), ["GlobalNetworkPolicy/security.ssh"])
    assert system.connections_between(["out-of-scope"], ["cde"]) == []
    [opened] = alone.connections_between(["out-of-scope"], ["cde"])
    assert (opened.source, opened.destination, opened.ports) == ("marketing/news[Pod]", "payments/api[Pod]",
                                                                 ports("TCP 1-21,23-65535; UDP all; SCTP all"))
