"""`explain` text and JSON where cluster policies' tiers decide: every port range names its tier, policy, priority
and rule, Pass chains end where they are decided, and equal priorities read as ambiguous."""

from __future__ import annotations

import json

from compliance.netpol.explain import explain
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS
from compliance.report.explain_output import explanation_json, explanation_text
from tests.netpol.builders import admin, baseline, cluster, namespace, pod, policy

BLUE = [{"namespaces": {"matchLabels": {"team": "blue"}}}]
RED = {"namespaces": {"matchLabels": {"team": "red"}}}
TCP_8080 = [{"portNumber": {"protocol": "TCP", "port": 8080}}]
CLUSTER = (namespace("shop", team="red"), namespace("batch", team="blue"),
           pod("shop/web", {"app": "web"}, ports=(("http", 8080),)), pod("batch/job", {"app": "job"}))


def texts(*objects: dict, port: str | None = None) -> tuple[str, dict]:
    """The explanation of batch/job -> shop/web as text and as parsed JSON."""
    snapshot = cluster(*CLUSTER, *objects)
    explanation = explain(snapshot, "batch/job", "shop/web", AnalysisOptions(), ALL_PORTS)
    return explanation_text(explanation), json.loads(explanation_json(explanation))


PASS_TO_BASELINE = (
    admin("pass-blue", 5, {"subject": RED, "ingress": [
        {"name": "to-baseline", "action": "Pass", "from": BLUE, "ports": TCP_8080},
        {"name": "deny-blue", "action": "Deny", "from": BLUE}]}),
    baseline({"subject": {"namespaces": {}}, "ingress": [{"name": "allow-blue", "action": "Allow", "from": BLUE}]}),
)


def test_a_pass_to_the_baseline_tier_reads_rule_by_rule() -> None:
    text, _ = texts(*PASS_TO_BASELINE)
    assert text.splitlines()[:7] == [
        "batch/job -> shop/web",
        "  ALLOWED: TCP 8080",
        "  denied: TCP 1-8079,8081-65535; UDP all; SCTP all",
        "  egress at batch/job: not isolated by NetworkPolicies (none selects it for egress)",
        "    default: allows all ports (no tier decided)",
        "  ingress at shop/web: not isolated by NetworkPolicies (none selects it for ingress)",
        '    Admin tier: AdminNetworkPolicy/pass-blue (priority 5) ingress[0] "to-baseline": passes TCP 8080 on (to '
        "NetworkPolicies, or the Baseline tier where none isolates the pod)",
    ]
    assert text.splitlines()[7:9] == [
        '    Admin tier: AdminNetworkPolicy/pass-blue (priority 5) ingress[1] "deny-blue": denies '
        "TCP 1-8079,8081-65535; UDP all; SCTP all",
        '    Baseline tier: BaselineAdminNetworkPolicy/default ingress[0] "allow-blue": allows TCP 8080',
    ]
    assert "tiers: per direction: the Admin tier" in text


def test_a_passed_port_that_a_network_policy_isolates_is_decided_by_it() -> None:
    text, _ = texts(*PASS_TO_BASELINE, policy("shop/none", {"policyTypes": ["Ingress"]}))
    assert "  DENIED" in text
    assert ("    NetworkPolicy: denies TCP 8080 (they isolate the pod, so they decide what the Admin tier left)"
            in text.splitlines())
    assert not any(line.startswith("    Baseline tier") for line in text.splitlines())


def test_the_json_lists_each_step_with_its_tier_policy_priority_and_rule() -> None:
    _, document = texts(*PASS_TO_BASELINE)
    (pair,) = document["pairs"]
    steps = pair["ingress"]["tiers"]
    assert [(s["tier"], s["action"], s["policy"], s["priority"], s["rule"]) for s in steps] == [
        ("Admin", "Pass", "AdminNetworkPolicy/pass-blue", 5, 'ingress[0] "to-baseline"'),
        ("Admin", "Deny", "AdminNetworkPolicy/pass-blue", 5, 'ingress[1] "deny-blue"'),
        ("Baseline", "Allow", "BaselineAdminNetworkPolicy/default", None, 'ingress[0] "allow-blue"'),
    ]
    assert steps[0]["ports"] == [{"protocol": "TCP", "from": 8080, "to": 8080}]
    assert pair["allowed"] == [{"protocol": "TCP", "from": 8080, "to": 8080}]
    assert pair["ambiguous"] == [] and pair["ingress"]["ties"] == []


def test_equal_priorities_that_disagree_read_as_ambiguous() -> None:
    text, document = texts(
        admin("deny-blue", 10, {"subject": RED, "ingress": [{"name": "deny", "action": "Deny", "from": BLUE}]}),
        admin("allow-web", 10, {"subject": RED, "ingress": [{"name": "web", "action": "Allow", "from": BLUE,
                                                               "ports": TCP_8080}]}))
    lines = text.splitlines()
    assert lines[1:3] == ["  ALLOWED: TCP 8080",
                          "  ambiguous (allowed or denied by the implementation's order of equal priorities): TCP 8080"]
    assert ("    AMBIGUOUS TCP 8080: AdminNetworkPolicy/allow-web, AdminNetworkPolicy/deny-blue share a priority; the "
            "implementation's order decides (counted as reachable)") in lines
    (pair,) = document["pairs"]
    assert pair["ambiguous"] == [{"protocol": "TCP", "from": 8080, "to": 8080}]
    assert pair["ingress"]["ties"] == ["AdminNetworkPolicy/allow-web", "AdminNetworkPolicy/deny-blue"]


def test_without_cluster_policies_the_explanation_has_no_tiers() -> None:
    text, document = texts(policy("shop/open", {"ingress": [{}]}))
    assert "tier" not in text.lower()
    assert "tiers" not in document["pairs"][0]["ingress"]
