"""`explain` text and JSON where cluster policies' tiers decide: every port range names its tier, policy, priority
and rule, Pass chains end where they are decided, and equal priorities read as ambiguous."""

from __future__ import annotations

import json

from compliance.model.calico_policy import CalicoTier
from compliance.netpol.explain import explain
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS
from compliance.report.explain_output import explanation_json, explanation_text
from tests.netpol.builders import admin, baseline, cluster, namespace, pod, policy
from tests.netpol.calico_builders import ALLOW, LOG, PASS, calico_policy, entity, rule, with_calico

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


def calico_texts() -> tuple[str, dict]:
    """batch/job -> shop/web through a security tier that passes TCP 8080 on, a default-tier policy that logs and
    allows it, and the end of the security tier for the rest."""
    snapshot = with_calico(
        cluster(*CLUSTER), CalicoTier("security", 300),
        calico_policy("zones", 10, tier="security", select="app == 'web'", ingress=(
            rule(PASS, entity(namespace_selector="team == 'blue'"), entity(ports=[8080]), protocol="TCP"),)),
        calico_policy("shop/web", 20, select="app == 'web'", ingress=(rule(LOG), rule(ALLOW))),
        calico_policy("l7", 30, tier="security", select="app == 'web'", ingress=(rule(ALLOW, unmodelled=("http",)),)))
    explanation = explain(snapshot, "batch/job", "shop/web", AnalysisOptions(), ALL_PORTS)
    return explanation_text(explanation), json.loads(explanation_json(explanation))


def test_calico_tiers_read_tier_policy_order_rule_and_the_pass_chain() -> None:
    text, found = calico_texts()
    assert "  ALLOWED: all ports" in text.splitlines()
    lines = text.splitlines()
    ingress = lines[[line.startswith("  ingress at shop/web") for line in lines].index(True):]
    assert "    profile: allows all ports (no tier decided; the Kubernetes profile allows)" in lines
    assert [line.strip() for line in ingress if " tier: " in line] == [
        "security tier: GlobalNetworkPolicy/zones (order 10) ingress[0]: passes TCP 8080 on to the next tier",
        "security tier: GlobalNetworkPolicy/l7 (order 30) ingress[0]: allows TCP 1-8079,8081-65535; UDP all; "
        "SCTP all",
        "default tier: CalicoNetworkPolicy/shop/web (order 20) ingress[0]: logs TCP 8080 (and decides nothing)",
        "default tier: CalicoNetworkPolicy/shop/web (order 20) ingress[1]: allows TCP 8080",
    ]
    assert any(line.strip().startswith("AMBIGUOUS") and "http not modelled" in line for line in text.splitlines())
    steps = found["pairs"][0]["ingress"]["tiers"]
    assert [(s["tier"], s["action"], s["policy"], s["order"], s["rule"]) for s in steps] == [
        ("security", "Pass", "GlobalNetworkPolicy/zones", 10, "ingress[0]"),
        ("security", "Allow", "GlobalNetworkPolicy/l7", 30, "ingress[0]"),
        ("default", "Log", "CalicoNetworkPolicy/shop/web", 20, "ingress[0]"),
        ("default", "Allow", "CalicoNetworkPolicy/shop/web", 20, "ingress[1]"),
    ]
    assert found["pairs"][0]["ingress"]["unmodelled"] == ["GlobalNetworkPolicy/l7 ingress[0]: http"]
    assert found["assumptions"]["calico_unmodelled_fields"] == {"http": 1}


def test_the_end_of_a_calico_tier_is_its_default_action() -> None:
    snapshot = with_calico(cluster(*CLUSTER), CalicoTier("security", 300),
                           calico_policy("only-red", 1, tier="security", select="app == 'web'",
                                         ingress=(rule(ALLOW, entity(namespace_selector="team == 'red'")),)))
    text = explanation_text(explain(snapshot, "batch/job", "shop/web", AnalysisOptions(), ALL_PORTS))
    assert "    security tier: denies all ports (the tier selects the pod and no rule decided: its default action)" \
        in text.splitlines()
