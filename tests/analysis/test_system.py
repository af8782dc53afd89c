"""The assessed system: workload connections keep what equal priorities leave ambiguous, and the Admin tier alone."""

from __future__ import annotations

import pytest

from compliance.analysis.system import AssessedSystem, merged_ambiguity
from compliance.model.cluster_policy import Tier
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import PortSet
from compliance.scope import parse_scope
from tests.checks.test_cases import SHARED_SCOPE, TODAY
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


def test_admin_tier_alone_keeps_only_the_admin_tier() -> None:
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
    alone = system.admin_tier_alone
    assert alone is system.admin_tier_alone
    assert (alone.snapshot.policies, [p.tier for p in alone.snapshot.cluster_policies]) == ((), [Tier.ADMIN])
    assert system.connections_between(["out-of-scope"], ["cde"]) == []
    [opened] = alone.connections_between(["out-of-scope"], ["cde"])
    assert (opened.source, opened.destination, opened.ports) == ("marketing/news[Pod]", "payments/api[Pod]",
                                                                 ports("TCP 1-21,23-65535; UDP all; SCTP all"))
